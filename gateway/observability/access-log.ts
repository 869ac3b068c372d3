import { closeSync, openSync } from 'node:fs';
import sonicBoom, { type SonicBoom as SonicBoomStream } from 'sonic-boom';
import type { AccessLogTarget } from '../config/log-directives.js';
import type { GatewaySettings } from '../config/settings.js';
import { AccessLogOpenError } from '../errors.js';
import type { Logger } from '../log.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { conditionHolds, renderLogLine } from './log-line.js';
import type { LogContext } from './log-variables.js';
import type { ConnectionCounts, RequestLogger } from './request-observer.js';
import type { RequestRecord } from './request-record.js';

/** A file (or stdout) whose buffer holds more than this drops lines rather than grow without bound. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** Writes to a pipe of at most PIPE_BUF bytes are atomic: whole lines never interleave with the process log's. */
const PIPE_WRITE_BYTES = 4096;
/** Without `buffer=`: what one turn of the event loop may gather before it is written anyway. */
const TURN_BYTES = 64 * 1024;

const STREAMS: Record<string, number> = { '/dev/stdout': 1, '/dev/stderr': 2 };

// The package is CommonJS whose module.exports is the class; its typings describe it as the default's member.
const SonicBoom = sonicBoom as unknown as typeof SonicBoomStream;

/**
 * One destination of access-log lines, written off the request path (sonic-boom). Without `buffer=` the lines of one
 * turn of the event loop go out together at its end (a write per line would cost a syscall and a thread-pool hop
 * each); `buffer=` holds lines until that many bytes, `flush=` bounds how long. A file is reopened by path on USR1,
 * after its rename by logrotate.
 */
class LogDestination {
  readonly path: string;
  readonly #boom: SonicBoomStream;
  readonly #timer: NodeJS.Timeout | null = null;
  /** Lines are flushed at the end of the turn (no `buffer=`). */
  readonly #perTurn: boolean;
  #flushScheduled = false;

  constructor(target: AccessLogTarget, log: Logger, metrics: GatewayMetrics) {
    this.path = target.path;
    this.#perTurn = target.bufferBytes === 0;
    const fd = STREAMS[target.path];
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
    this.#boom.on('drop', () => metrics.accessLogDropped.inc({ path: target.path }));
    if (target.flushMs > 0) {
      this.#timer = setInterval(() => this.#flush(), target.flushMs);
      this.#timer.unref();
    }
  }

  write(line: string): void {
    (this.#boom.write as unknown as (data: Buffer) => boolean)(Buffer.from(`${line}\n`, 'latin1'));
    if (!this.#perTurn || this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  reopen(): void {
    if (STREAMS[this.path] === undefined) this.#boom.reopen();
  }

  /** Everything buffered goes out before the process ends. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
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

  constructor(settings: GatewaySettings, log: Logger, metrics: GatewayMetrics) {
    try {
      for (const target of targetsOf(settings)) {
        if (!this.#destinations.has(target.path)) this.#destinations.set(target.path, new LogDestination(target, log, metrics));
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  log(record: RequestRecord, bytes: { sent: number; received: number }, connection: ConnectionCounts): void {
    const targets = record.location?.accessLog ?? record.server.accessLog ?? [];
    if (targets.length === 0) return;
    const context: LogContext = { record, bytes, connection, variables: record.variables() };
    for (const target of targets) {
      if (target.condition && !conditionHolds(target.condition, context)) continue;
      this.#destinations.get(target.path)?.write(renderLogLine(target.format, context));
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
}

function targetsOf(settings: GatewaySettings): AccessLogTarget[] {
  return settings.servers.flatMap((s) => [...(s.accessLog ?? []), ...s.locations.flatMap((l) => l.accessLog ?? [])]);
}
