import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * A real demo backend process (backends/demo-app.js from the same build folder as this file) on a free port.
 * Shared by the backend tests and usable by gateway integration tests: `await DemoProcess.start({ env })`.
 */

const here = dirname(fileURLToPath(import.meta.url));
/** `<build>/test/integration/backends` → `<build>/backends/demo-app.js`. */
export const DEMO_APP_JS = join(here, '..', '..', '..', 'backends', 'demo-app.js');

export interface DemoLogLine {
  level: number;
  event?: string;
  msg?: string;
  [key: string]: unknown;
}

export class DemoProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly name: string;
  readonly url: string;
  /** Every JSON log line the process printed so far (pino, stdout). */
  readonly logs: DemoLogLine[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(child: ChildProcess, port: number, name: string, logs: DemoLogLine[], exited: DemoProcess['exited']) {
    this.child = child;
    this.port = port;
    this.name = name;
    this.url = `http://127.0.0.1:${port}`;
    this.logs = logs;
    this.exited = exited;
  }

  static async start(options: { env?: NodeJS.ProcessEnv; args?: string[]; name?: string } = {}): Promise<DemoProcess> {
    const args = [DEMO_APP_JS, '--port', '0', ...(options.name ? ['--name', options.name] : []), ...(options.args ?? [])];
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH, LOG_FORMAT: 'json', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs: DemoLogLine[] = [];
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        logs.push(JSON.parse(line) as DemoLogLine);
      } catch {
        logs.push({ level: 0, msg: line });
      }
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const start = await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`demo-app exited with ${child.exitCode}: ${stderr}`);
        return logs.find((l) => l.event === 'start');
      },
      { what: 'demo-app start line' },
    );
    return new DemoProcess(child, Number(start.port), String(start.backend), logs, exited);
  }

  /** SIGTERM (graceful) and wait for the exit; SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      const result = await this.exited;
      clearTimeout(timer);
      return result;
    }
    return this.exited;
  }
}
