import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * Runs one child process for run-demo: its output goes to the terminal prefixed by its name, its pid goes to a pid
 * file, and (when `respawn`) it is started again whenever it exits — that is what makes "signal the backend's pid" a
 * complete restart command for a rolling restart.
 */
export interface SupervisedOptions {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  respawn: boolean;
  pidFile?: string;
  color?: string;
  /** Called on every exit that is not part of stopAll (after the respawn decision). */
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

const RESET = '\u001b[0m';

export class SupervisedProcess {
  readonly #opts: SupervisedOptions;
  #child: ChildProcess | null = null;
  #stopping = false;
  #startedAt = 0;
  #failures = 0;
  #respawnTimer: NodeJS.Timeout | null = null;

  constructor(options: SupervisedOptions) {
    this.#opts = options;
  }

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  start(): void {
    const { command, args, env, cwd } = this.#opts;
    this.#startedAt = Date.now();
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => this.print(line));
    }
    child.once('spawn', () => {
      if (this.#opts.pidFile && child.pid) writeFileSync(this.#opts.pidFile, `${child.pid}\n`);
    });
    child.once('error', (err) => this.print(`could not start ${command}: ${err.message}`));
    child.once('exit', (code, signal) => this.#exited(child, code, signal));
  }

  print(line: string): void {
    const { name, color } = this.#opts;
    const tag = process.stdout.isTTY && color ? `${color}${name.padEnd(15)}${RESET}` : name.padEnd(15);
    process.stdout.write(`${tag} | ${line}\n`);
  }

  #exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#child !== child) return;
    this.#child = null;
    if (this.#opts.pidFile) rmSync(this.#opts.pidFile, { force: true });
    if (this.#stopping) return;
    this.#opts.onExit?.(code, signal);
    if (!this.#opts.respawn) return;
    // A clean restart comes back at once; a crash loop (e.g. port in use) backs off up to 5 s.
    const ranLong = Date.now() - this.#startedAt > 2_000;
    this.#failures = code === 0 || ranLong ? 0 : this.#failures + 1;
    const delay = Math.min(5_000, this.#failures === 0 ? 0 : 250 * 2 ** this.#failures);
    this.print(`exited (${signal ?? `code ${code}`}); restarting${delay ? ` in ${delay} ms` : ''}`);
    this.#respawnTimer = setTimeout(() => {
      this.#respawnTimer = null;
      if (!this.#stopping) this.start();
    }, delay);
  }

  /** Stop for good: SIGTERM, then SIGKILL after `killAfterMs`. Resolves when the child is gone. */
  stop(killAfterMs = 15_000): Promise<void> {
    this.#stopping = true;
    if (this.#respawnTimer) clearTimeout(this.#respawnTimer);
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      child.once('exit', () => {
        clearTimeout(timer);
        if (this.#opts.pidFile) rmSync(this.#opts.pidFile, { force: true });
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}
