import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';

/**
 * A child process the load test owns, keeping the tail of its output; with `respawn` it is started again whenever
 * it exits (what run-demo does for `npm start`), and its pid goes to `pidFile` so restart-demo-backend can signal it.
 */
export class ManagedProcess {
  readonly name: string;
  readonly #command: string;
  readonly #args: string[];
  readonly #env: NodeJS.ProcessEnv;
  readonly #respawn: boolean;
  readonly #pidFile: string | null;
  #child: ChildProcess | null = null;
  #stopping = false;
  #tail = '';
  readonly pids: number[] = [];

  constructor(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, options: { respawn?: boolean; pidFile?: string } = {}) {
    this.name = name;
    this.#command = command;
    this.#args = args;
    this.#env = env;
    this.#respawn = options.respawn ?? false;
    this.#pidFile = options.pidFile ?? null;
  }

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  get alive(): boolean {
    return this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  tail(): string {
    return this.#tail.trim().split('\n').slice(-20).join('\n');
  }

  start(): void {
    const child = spawn(this.#command, this.#args, { env: this.#env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    const keep = (chunk: Buffer) => {
      this.#tail = (this.#tail + chunk.toString('utf8')).slice(-8_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('spawn', () => {
      if (child.pid) this.pids.push(child.pid);
      if (this.#pidFile && child.pid) writeFileSync(this.#pidFile, `${child.pid}\n`);
    });
    child.once('exit', () => {
      if (this.#child !== child) return;
      this.#child = null;
      if (this.#pidFile) rmSync(this.#pidFile, { force: true });
      if (this.#respawn && !this.#stopping) setTimeout(() => !this.#stopping && this.start(), 100);
    });
  }

  kill(signal: NodeJS.Signals): void {
    this.#child?.kill(signal);
  }

  async stop(graceMs = 5_000): Promise<void> {
    this.#stopping = true;
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}
