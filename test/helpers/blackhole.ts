import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { python } from './python.js';

/**
 * An address where connecting hangs, for connect-timeout cases: a socket that listens with a backlog of 0 and never
 * accepts (a Python one-liner: Node's own listeners accept at once). Once its accept queue is full, Linux drops
 * every further SYN, so a proxy's connect waits until its own proxy_connect_timeout.
 */
export class Blackhole {
  readonly address: string;
  readonly #child: ChildProcess;
  readonly #fillers: Socket[];

  private constructor(address: string, child: ChildProcess, fillers: Socket[]) {
    this.address = address;
    this.#child = child;
    this.#fillers = fillers;
  }

  static async start(): Promise<Blackhole> {
    const script = 'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\nsys.stdin.read()';
    const child = spawn(python, ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    });
    const fillers: Socket[] = [];
    // Fill the accept queue: connect until one attempt does not complete (at most a few).
    for (let i = 0; i < 8; i++) {
      const socket = connect(port, '127.0.0.1');
      fillers.push(socket);
      const connected = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 300);
        socket.once('connect', () => {
          clearTimeout(timer);
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (!connected) break;
    }
    return new Blackhole(`127.0.0.1:${port}`, child, fillers);
  }

  async close(): Promise<void> {
    for (const s of this.#fillers) s.destroy();
    if (this.#child.exitCode === null) {
      const exited = new Promise((resolve) => this.#child.once('exit', resolve));
      this.#child.stdin?.end();
      this.#child.kill('SIGTERM');
      await exited;
    }
  }
}
