import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { BenchChild, spawnWithFdLimit } from './child-process.js';
import { freePort, waitForRedis } from '../lib/net.js';
import { parseCommandStats, parseUsedMemory, type CommandCounts } from './redis-stats.js';

/** `redis-server --version` → "7.0.15", or null when not installed. */
export function redisVersion(): string | null {
  try {
    const out = execFileSync('redis-server', ['--version'], { encoding: 'utf8' });
    return /v=(\S+)/.exec(out)?.[1] ?? out.trim();
  } catch {
    return null;
  }
}

/**
 * A redis-server of the bench's own on a free port, persisting nothing (the logic of test/helpers/redis-server.ts,
 * kept here so the scripts do not depend on the test tree). Never the shared 6379 one.
 */
export class BenchRedis {
  readonly port: number;
  readonly url: string;
  readonly child: BenchChild;
  readonly #dir: string;
  readonly #client: Redis;

  private constructor(port: number, child: BenchChild, dir: string) {
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
    this.child = child;
    this.#dir = dir;
    this.#client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
  }

  /** `replicaOf`: a replica of the bench Redis on that port. */
  static async start(fdLimit: number, replicaOf: number | null = null): Promise<BenchRedis> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sg-bench-redis-'));
    const child = spawnWithFdLimit('redis-server', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--maxclients', '10000', ...(replicaOf === null ? [] : ['--replicaof', '127.0.0.1', String(replicaOf)])], { fdLimit });
    const redis = new BenchRedis(port, child, dir);
    await waitForRedis(port, () => {
      if (!child.alive) throw new Error(`redis-server exited: ${child.stderrTail()}`);
    });
    await redis.#client.connect();
    return redis;
  }

  /** Until this replica's link to its master is up (the initial sync done). */
  async synced(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!/master_link_status:up/.test(await this.#client.info('replication'))) {
      if (Date.now() > deadline) throw new Error(`the replica on ${this.port} did not sync within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async commandStats(): Promise<CommandCounts> {
    return parseCommandStats(await this.#client.info('commandstats'));
  }

  async usedMemory(): Promise<number | null> {
    return parseUsedMemory(await this.#client.info('memory'));
  }

  async dbSize(): Promise<number> {
    return this.#client.dbsize();
  }

  async close(): Promise<void> {
    this.#client.disconnect();
    await this.child.stop(1000);
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
