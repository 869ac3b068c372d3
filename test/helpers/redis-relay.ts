import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A real TCP relay between the gateway and a redis-server, for faults a healthy network never shows on cue: the
 * reply to one command lost after Redis ran it (the connection drops with the answer on the wire), or a command
 * held at the moment it is sent (so the test can pause Redis exactly then). A command is picked by bytes its
 * request contains (any of `markers`): for a script, its SHA-1 (EVALSHA) and a part of its text (the EVAL ioredis
 * sends on a connection's first use). Each trap fires once.
 */

/** Bytes a command's request contains, or a pattern its chunk matches (read as latin1). */
export type Marker = string | RegExp;
type Compiled = Buffer | RegExp;

type Trap =
  | { kind: 'drop-reply' | 'drop-connection'; markers: Compiled[]; fired: () => void }
  | { kind: 'before-send'; markers: Compiled[]; hook: () => Promise<void> | void; fired: () => void };

const compile = (markers: Marker[]): Compiled[] => markers.map((m) => (typeof m === 'string' ? Buffer.from(m) : m));

/** Longest marker the relay finds across two chunks of one connection. */
const MAX_MARKER = 1024;

export class RedisRelay {
  readonly port: number;
  readonly #server: Server;
  readonly #targetPort: number;
  readonly #sockets = new Set<Socket>();
  #traps: Trap[] = [];
  /** How many connections the relay has accepted (a reconnect shows as one more). */
  accepted = 0;

  private constructor(server: Server, targetPort: number) {
    this.#server = server;
    this.#targetPort = targetPort;
    this.port = (server.address() as AddressInfo).port;
  }

  static async start(targetPort: number): Promise<RedisRelay> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const relay = new RedisRelay(server, targetPort);
    server.on('connection', (client) => relay.#pair(client));
    return relay;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The next command containing `marker` reaches Redis; its reply never reaches the client, whose connection drops. */
  dropReplyTo(markers: Marker[]): Promise<void> {
    return new Promise((fired) => this.#traps.push({ kind: 'drop-reply', markers: compile(markers), fired }));
  }

  /** The next command containing `marker` is lost with its connection: never passed on, both sides closed. */
  dropConnectionOn(markers: Marker[]): Promise<void> {
    return new Promise((fired) => this.#traps.push({ kind: 'drop-connection', markers: compile(markers), fired }));
  }

  /** Before the next command containing `marker` is passed on, run `hook` (e.g. SIGSTOP the server). */
  beforeSending(markers: Marker[], hook: () => Promise<void> | void): Promise<void> {
    return new Promise((fired) => this.#traps.push({ kind: 'before-send', markers: compile(markers), hook, fired }));
  }

  /** The first trap with a marker that ends in the new chunk (`seen` is the previous chunk's tail + the chunk). */
  #take(seen: Buffer, tailLength: number): Trap | null {
    const found = (m: Compiled): boolean => m instanceof RegExp
      ? m.test(seen.subarray(tailLength).toString('latin1'))
      : seen.indexOf(m, Math.max(0, tailLength - m.length + 1)) >= 0;
    const i = this.#traps.findIndex((t) => t.markers.some(found));
    if (i < 0) return null;
    const [trap] = this.#traps.splice(i, 1);
    return trap!;
  }

  #pair(client: Socket): void {
    this.accepted++;
    const upstream = connect(this.#targetPort, '127.0.0.1');
    this.#sockets.add(client).add(upstream);
    let dropNext: (() => void) | null = null;
    // Chunks go on in order, one at a time: a held command must not be overtaken by a later one.
    let queue: Promise<void> = Promise.resolve();
    let tail = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      const seen = Buffer.concat([tail, chunk]);
      const trap = this.#take(seen, tail.length);
      tail = seen.subarray(Math.max(0, seen.length - MAX_MARKER));
      queue = queue.then(async () => {
        if (trap?.kind === 'before-send') {
          await trap.hook();
          trap.fired();
        }
        if (trap?.kind === 'drop-connection') {
          client.destroy();
          upstream.destroy();
          trap.fired();
          return;
        }
        if (trap?.kind === 'drop-reply') dropNext = trap.fired;
        upstream.write(chunk);
      });
    });
    upstream.on('data', (chunk: Buffer) => {
      if (dropNext) {
        const fired = dropNext;
        dropNext = null;
        client.destroy();
        upstream.destroy();
        fired();
        return;
      }
      client.write(chunk);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
