import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './wait-for.js';

/**
 * A real child process whose stdout is JSON log lines (pino) or text; lines are kept for assertions, like pino's own
 * tests do with a log sink.
 */
export class TestProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly #exited: Promise<number | null>;
  /** Set on 'close': the process exited and its stdout and stderr are read to the end. */
  #closed = false;
  readonly #records: Array<Record<string, unknown>> = [];
  #parsedLines = 0;

  constructor(command: string, args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(command, args, { env: { ...process.env, LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (stream: NodeJS.ReadableStream | null) => {
      let rest = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        rest += chunk;
        let nl;
        while ((nl = rest.indexOf('\n')) !== -1) {
          this.lines.push(rest.slice(0, nl));
          rest = rest.slice(nl + 1);
        }
        if (process.env.TEST_ECHO) process.stderr.write(chunk);
      });
    };
    collect(this.child.stdout);
    collect(this.child.stderr);
    this.#exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.once('close', () => (this.#closed = true));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Parsed JSON log records (non-JSON lines skipped); each line is parsed once (a gateway logs every request). */
  records(): Array<Record<string, unknown>> {
    for (; this.#parsedLines < this.lines.length; this.#parsedLines++) {
      const line = this.lines[this.#parsedLines]!;
      if (!line.startsWith('{')) continue;
      try {
        this.#records.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // partial or foreign line
      }
    }
    return [...this.#records];
  }

  /**
   * The first record `predicate` accepts, as soon as it is logged. A process that ends without logging it fails the
   * wait at once, with its last lines (its output is read to the end first: a record logged just before the exit
   * still counts), rather than after the whole timeout.
   */
  async waitForRecord(predicate: (r: Record<string, unknown>) => boolean, what: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
    let ended = false;
    const found = await waitFor(() => {
      const record = this.records().find(predicate);
      if (record) return record;
      ended = this.#closed;
      return ended ? {} : undefined;
    }, { timeoutMs, what });
    if (ended) {
      const how = this.child.signalCode ?? this.child.exitCode;
      throw new Error(`process exited (${how}) before ${what}:\n${this.lines.slice(-20).join('\n')}`);
    }
    return found;
  }

  exited(): Promise<number | null> {
    return this.#exited;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.#exited;
  }
}
