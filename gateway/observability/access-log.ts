import { closeSync, openSync } from 'node:fs';
import sonicBoom, { type SonicBoom as SonicBoomStream } from 'sonic-boom';
import type { AccessLogTarget, LogFormatSettings } from '../config/log-directives.js';
import type { GatewaySettings } from '../config/settings.js';
import { AccessLogOpenError } from '../errors.js';
import type { Logger } from '../log.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { compileCondition, compileLogFormat, type CompiledLogFormat } from './log-line.js';
import type { LogContext } from './log-variables.js';
import type { ConnectionCounts, RequestLogger } from './request-observer.js';
import type { RequestRecord } from './request-record.js';

/** A file (or stdout) whose buffer holds more than this drops lines rather than grow without bound. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** Writes to a pipe of at most PIPE_BUF bytes are atomic: whole lines never interleave with the process log's. */
const PIPE_WRITE_BYTES = 4096;
/** What one gathering window may hold for a file before it is handed over anyway. */
const TURN_BYTES = 64 * 1024;
/**
 * How long lines gather before they are handed to sonic-boom together: one Buffer and one write for all of them. A
 * write per event-loop turn cost a thread-pool hop per one or two lines under load, most of what the log cost.
 */
const GATHER_MS = 10;

const STREAMS: Record<string, number> = { '/dev/stdout': 1, '/dev/stderr': 2 };

// The package is CommonJS whose module.exports is the class; its typings describe it as the default's member.
const SonicBoom = sonicBoom as unknown as typeof SonicBoomStream;

/**
 * One destination of access-log lines, written off the request path (sonic-boom). Lines gather for GATHER_MS (or
 * until TURN_BYTES) and are then handed over as one Buffer; without `buffer=` that batch is written at once, with it
 * sonic-boom holds bytes until `buffer=`, and `flush=` bounds how long. A file is reopened by path on USR1, after its
 * rename by logrotate.
 */
class LogDestination {
  readonly path: string;
  readonly #boom: SonicBoomStream;
  readonly #timer: NodeJS.Timeout | null = null;
  /** No `buffer=`: each batch is written as soon as it is handed over. */
  readonly #unbuffered: boolean;
  /** This turn's lines, not yet handed to sonic-boom. */
  #batch = '';
  #gathering = false;
  #gather: NodeJS.Timeout | null = null;
  readonly #batchBytes: number;

  constructor(target: AccessLogTarget, log: Logger, metrics: GatewayMetrics) {
    this.path = target.path;
    this.#unbuffered = target.bufferBytes === 0;
    const fd = STREAMS[target.path];
    this.#batchBytes = fd === undefined ? TURN_BYTES : PIPE_WRITE_BYTES;
    if (fd === undefined) {
      // Opened once here so that a path that cannot be written stops start-up (sonic-boom would only emit an error).
      try {
        closeSync(openSync(target.path, 'a'));
      } catch (err) {
        throw new AccessLogOpenError(target.path, target.source, err as NodeJS.ErrnoException);
      }
    }
    // sonic-boom holds lines until minLength, and writes at most maxWrite at once (which must be larger).
    const minLength = target.bufferBytes || TURN_BYTES;
    this.#boom = new SonicBoom({
      ...(fd === undefined ? { dest: target.path, append: true, mkdir: false, maxWrite: Math.max(16384, 2 * minLength) } : { fd, maxWrite: PIPE_WRITE_BYTES }),
      contentMode: 'buffer', sync: false, minLength: fd === undefined ? minLength : Math.min(minLength, PIPE_WRITE_BYTES - 1), maxLength: MAX_BUFFERED_BYTES,
    });
    let reported = false;
    this.#boom.on('error', (err: Error) => {
      if (reported) return;
      reported = true;
      log.error({ event: 'access_log.write_failed', path: target.path, err: err.message }, `access log ${target.path}: ${err.message}`);
    });
    this.#boom.on('drop', (data: Buffer) => metrics.accessLogDropped.inc({ path: target.path }, linesIn(data)));
    if (target.flushMs > 0) {
      this.#timer = setInterval(() => this.#flush(), target.flushMs);
      this.#timer.unref();
    }
  }

  /** A line (with its newline) joins the current batch, which is handed over when its window ends or it is full. */
  write(line: string): void {
    // A batch never grows past what one write may carry (PIPE_BUF on a pipe, so a write holds whole lines only).
    if (this.#batch.length + line.length > this.#batchBytes) this.#handOver();
    this.#batch += line;
    if (this.#gathering) return;
    this.#gathering = true;
    // One timer per destination, re-armed: a window costs no allocation.
    if (this.#gather) this.#gather.refresh();
    else (this.#gather = setTimeout(this.#endOfGather, GATHER_MS)).unref();
  }

  readonly #endOfGather = (): void => {
    this.#gathering = false;
    this.#handOver();
  };

  #handOver(): void {
    if (this.#batch === '') return;
    const bytes = Buffer.from(this.#batch, 'latin1');
    this.#batch = '';
    (this.#boom.write as unknown as (data: Buffer) => boolean)(bytes);
    if (this.#unbuffered) this.#flush();
  }

  reopen(): void {
    if (STREAMS[this.path] === undefined) this.#boom.reopen();
  }

  /** Everything buffered goes out before the process ends. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#gather) clearTimeout(this.#gather);
    this.#handOver();
    try {
      this.#boom.flushSync();
    } catch {
      // a file that cannot take the rest has reported why already
    }
    this.#boom.end();
  }

  #flush(): void {
    try {
      this.#boom.flush();
    } catch {
      // flush while a write is in flight: the next write takes the buffer along
    }
  }
}

/**
 * The access log (docs/architecture.md §8, nginx's ngx_http_log_module): every request, once its response is over,
 * gets one line in each access_log of the location that answered it (the server's when none did), in that log's
 * format. Each path is opened once for the whole gateway.
 */
export class AccessLog implements RequestLogger {
  readonly #destinations = new Map<string, LogDestination>();
  /** Each level's list of access logs, made ready once: formats compiled, destinations found. */
  readonly #ready = new Map<readonly AccessLogTarget[], ReadyTargets>();
  /** One compiled function per format, whichever levels share it. */
  readonly #formats = new Map<LogFormatSettings, CompiledLogFormat>();

  constructor(settings: GatewaySettings, log: Logger, metrics: GatewayMetrics) {
    try {
      for (const targets of levelsOf(settings)) {
        for (const target of targets) {
          if (!this.#destinations.has(target.path)) this.#destinations.set(target.path, new LogDestination(target, log, metrics));
        }
        if (!this.#ready.has(targets)) this.#ready.set(targets, this.#prepare(targets));
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  log(record: RequestRecord, bytes: { sent: number; received: number }, connection: ConnectionCounts): void {
    const location = record.location;
    // nginx runs a method that limit_except restricts with the block's configuration, its access_log included.
    const targets = location?.limitExceptAccessLog && !location.access.limitExcept?.methods.includes(record.req.method ?? '')
      ? location.limitExceptAccessLog
      : location?.accessLog ?? record.server.accessLog;
    if (!targets || targets.length === 0) return;
    let ready = this.#ready.get(targets);
    // Settings this logger was not made from (none today): their files are the ones it has open, or none.
    if (!ready) this.#ready.set(targets, (ready = this.#prepare(targets.filter((t) => this.#destinations.has(t.path)))));
    const context: LogContext = { record, bytes, connection, variables: ready.needsRequestVariables ? record.variables() : null };
    for (const t of ready.list) {
      if (t.condition && !t.condition.holds(context)) continue;
      t.destination.write(t.line(context));
    }
  }

  /** USR1: every file is opened again by its path (the old one, renamed, gets what was already on its way). */
  reopen(): void {
    for (const d of this.#destinations.values()) d.reopen();
  }

  close(): void {
    for (const d of this.#destinations.values()) d.close();
    this.#destinations.clear();
  }

  #prepare(targets: readonly AccessLogTarget[]): ReadyTargets {
    let needsRequestVariables = false;
    const list = targets.map((target) => {
      let format = this.#formats.get(target.format);
      if (!format) this.#formats.set(target.format, (format = compileLogFormat(target.format)));
      const condition = target.condition ? compileCondition(target.condition) : null;
      needsRequestVariables ||= format.needsRequestVariables || condition?.needsRequestVariables === true;
      return { destination: this.#destinations.get(target.path)!, line: format.line, condition };
    });
    return { list, needsRequestVariables };
  }
}

interface ReadyTargets {
  list: Array<{ destination: LogDestination; line: (c: LogContext) => string; condition: { holds: (c: LogContext) => boolean } | null }>;
  needsRequestVariables: boolean;
}

/** Every level's list of access logs: each server's, each location's and its limit_except block's. */
function levelsOf(settings: GatewaySettings): Array<readonly AccessLogTarget[]> {
  return settings.servers.flatMap((s) => [s.accessLog ?? [], ...s.locations.flatMap((l) => [l.accessLog ?? [], l.limitExceptAccessLog ?? []])]);
}

/** How many lines a dropped batch held. */
function linesIn(data: Buffer): number {
  let n = 0;
  for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) n++;
  return n;
}
