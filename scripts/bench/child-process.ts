import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** The hard open-files limit of this shell: the most a child can be given without privileges. */
export function hardFdLimit(): number {
  try {
    const out = execFileSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
    return out === 'unlimited' ? 1_048_576 : Number(out);
  } catch {
    return 1024;
  }
}

/** A process the bench started and must stop; keeps the tail of its stderr to explain a crash. */
export class BenchChild {
  readonly name: string;
  readonly process: ChildProcess;
  #stderr = '';
  #expectedExit = false;
  /** Set when the process exited while the bench still needed it. */
  unexpectedExit: string | null = null;

  constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.process = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-4000);
    });
    child.once('exit', (code, signal) => {
      if (!this.#expectedExit) this.unexpectedExit = `${name} exited (code ${code}, signal ${signal}); stderr tail: ${this.stderrTail() || '(empty)'}`;
    });
  }

  get pid(): number {
    if (this.process.pid === undefined) throw new Error(`${this.name} has no pid`);
    return this.process.pid;
  }

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  stderrTail(): string {
    return this.#stderr.trim().split('\n').slice(-15).join('\n');
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    this.#expectedExit = true;
    if (!this.alive) return;
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * Spawns `command args` with the open-files soft limit raised to `fdLimit` (via `ulimit -n` in a bash that then
 * execs the command, so the pid is the command's own — what /proc sampling needs).
 */
export function spawnWithFdLimit(name: string, command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; fdLimit: number; cwd?: string }): BenchChild {
  const child = spawn('bash', ['-c', `ulimit -n ${options.fdLimit} 2>/dev/null; exec "$@"`, 'bash', command, ...args], {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new BenchChild(name, child);
}

/** Waits for the first stdout line that parses as JSON with a numeric `port` (our own scripts print one). */
export function readPortLine(child: BenchChild, timeoutMs = 15_000): Promise<number> {
  const stdout = child.process.stdout;
  if (!stdout) return Promise.reject(new Error(`${child.name}: no stdout`));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: stdout });
    const timer = setTimeout(() => fail(new Error(`${child.name} did not report a port within ${timeoutMs} ms; stderr: ${child.stderrTail()}`)), timeoutMs);
    const onExit = () => fail(new Error(`${child.name} exited before listening; stderr: ${child.stderrTail()}`));
    function fail(err: Error) {
      clearTimeout(timer);
      lines.close();
      reject(err);
    }
    child.process.once('exit', onExit);
    lines.on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as { port?: unknown };
        if (typeof parsed.port === 'number') {
          clearTimeout(timer);
          child.process.off('exit', onExit);
          // Keep draining stdout so a chatty child never blocks on a full pipe.
          resolve(parsed.port);
        }
      } catch {
        // Not our line.
      }
    });
  });
}
