import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';
import { waitForRedis } from '../../scripts/lib/net.js';

/**
 * A real redis-server started for one test file, on a free port, persisting nothing. Never the shared 6379 one.
 * `restart()` kills it and starts it again on the same port (to test what a Redis restart does to the gateway).
 */
export class TestRedis {
  readonly port: number;
  readonly url: string;
  #process: ChildProcess | null = null;
  #dir: string;
  #client: Redis | null = null;

  private constructor(port: number) {
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
    this.#dir = mkdtempSync(join(tmpdir(), 'sg-redis-'));
  }

  static async start(): Promise<TestRedis> {
    const redis = new TestRedis(await freePort());
    await redis.#spawn();
    return redis;
  }

  async #spawn(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.#dir], { stdio: 'ignore' });
    this.#process = child;
    await waitForRedis(this.port, () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    });
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
