import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';
import { waitFor } from './wait-for.js';

/**
 * A real redis-server started for one test file, on a free port. Never the shared 6379 one. It persists nothing,
 * unless `persistent` (an append-only file fsynced on every write, as a production Redis with a volume would run).
 * `restart()` kills it (SIGKILL: a crash, not a clean shutdown) and starts it again on the same port.
 */
/** redis-server could not bind the free port picked for it: another process took it in between. */
class PortTaken extends Error {}

export class TestRedis {
  readonly port: number;
  readonly url: string;
  #process: ChildProcess | null = null;
  #dir: string;
  #client: Redis | null = null;

  readonly #persistent: boolean;
  readonly #replicaOf: number | null;

  private constructor(port: number, persistent: boolean, replicaOf: number | null) {
    this.port = port;
    this.#persistent = persistent;
    this.#replicaOf = replicaOf;
    this.url = `redis://127.0.0.1:${port}`;
    this.#dir = mkdtempSync(join(tmpdir(), 'sg-redis-'));
  }

  /**
   * `replicaOf`: a replica of the test's master on that port (it follows it with `REPLICAOF`). A free port that
   * another process took before redis-server bound it is replaced by a new one (restart() keeps its port).
   */
  static async start(options: { persistent?: boolean; replicaOf?: number } = {}): Promise<TestRedis> {
    for (let attempt = 1; ; attempt++) {
      const redis = new TestRedis(await freePort(), options.persistent ?? false, options.replicaOf ?? null);
      try {
        await redis.#spawn();
        return redis;
      } catch (err) {
        await redis.close();
        if (!(err instanceof PortTaken) || attempt === 3) throw err;
      }
    }
  }

  async #spawn(): Promise<void> {
    const persistence = this.#persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    const replica = this.#replicaOf !== null ? ['--replicaof', '127.0.0.1', String(this.#replicaOf)] : [];
    // A replica's full sync starts at once: by default a diskless sync waits 5 s for more replicas to join it.
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--repl-diskless-sync-delay', '0', ...persistence, ...replica, '--dir', this.#dir];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    this.#process = child;
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (output = (output + chunk).slice(-4000)));
    let closed = false; // exited, and its output read to the end
    child.once('close', () => (closed = true));
    let exited: Error | null = null;
    // A redis-server starting on a busy machine can take many seconds (no timing is asserted); one that exited
    // fails the wait at once.
    await waitFor(async () => {
      if (closed) {
        const why = `redis-server on ${this.port} exited with ${child.exitCode}: ${output.trim().split('\n').slice(-3).join(' | ')}`;
        exited = /Address already in use/i.test(output) ? new PortTaken(why) : new Error(why);
        return true;
      }
      return answersPing(this.port);
    }, { timeoutMs: 60_000, what: `redis-server on ${this.port}` }).catch(async (err: unknown) => {
      await this.stop();
      throw err;
    });
    if (exited) throw exited;
  }

  /** A client for assertions (keys, commandstats). */
  client(): Redis {
    if (!this.#client) {
      this.#client = new Redis(this.port, '127.0.0.1');
      // The test may stop the server on purpose; reconnecting quietly is what we want then.
      this.#client.on('error', () => {});
    }
    return this.#client;
  }

  async stop(): Promise<void> {
    const child = this.#process;
    this.#process = null;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** SIGSTOP: the server holds every connection open and answers nothing, like a Redis stalled by the host. */
  pause(): void {
    this.#process?.kill('SIGSTOP');
  }

  /** SIGCONT after pause(): it runs what arrived meanwhile, in order. */
  resume(): void {
    this.#process?.kill('SIGCONT');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.#spawn();
  }

  async close(): Promise<void> {
    this.#client?.disconnect();
    this.#client = null;
    await this.stop();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** Whether a redis-server on 127.0.0.1:port answers PING now (refused until it listens). */
async function answersPing(port: number): Promise<boolean> {
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } finally {
    probe.disconnect();
  }
}
