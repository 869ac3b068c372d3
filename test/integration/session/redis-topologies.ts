import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../helpers/ports.js';
import { waitFor, waitForRedis } from '../../../scripts/lib/net.js';

/**
 * Real Sentinel processes for the store tests (never the shared Redis): a sentinel watching a test-started master.
 * (A real multi-master Cluster is test/helpers/redis-cluster.ts.)
 */

abstract class RedisProcess {
  readonly port: number;
  protected readonly dir = mkdtempSync(join(tmpdir(), 'sg-redis-topology-'));
  #child: ChildProcess | null = null;

  protected constructor(port: number) {
    this.port = port;
  }

  protected async spawnServer(args: string[]): Promise<void> {
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.#child = child;
    await waitForRedis(this.port, () => {
      if (child.exitCode !== null) throw new Error(`redis-server ${args.join(' ')} exited with ${child.exitCode}`);
    });
  }

  async close(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (child && child.exitCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `redis-server --sentinel` monitoring the master at masterPort as MASTER_NAME. */
export class TestSentinel extends RedisProcess {
  static readonly MASTER_NAME = 'sgmaster';

  static async start(masterPort: number): Promise<TestSentinel> {
    const sentinel = new TestSentinel(await freePort());
    const conf = join(sentinel.dir, 'sentinel.conf');
    // Sentinel rewrites its config file, so it must be a writable file of its own.
    writeFileSync(conf, [
      `port ${sentinel.port}`,
      'bind 127.0.0.1',
      `dir ${sentinel.dir}`,
      `sentinel monitor ${TestSentinel.MASTER_NAME} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${TestSentinel.MASTER_NAME} 5000`,
      '',
    ].join('\n'));
    await sentinel.spawnServer([conf, '--sentinel']);
    const probe = new Redis(sentinel.port, '127.0.0.1');
    try {
      await waitFor(async () => {
        const reply = (await probe.call('SENTINEL', 'get-master-addr-by-name', TestSentinel.MASTER_NAME)) as string[] | null;
        return reply?.[1] === String(masterPort);
      }, { what: 'the sentinel to know its master' });
    } finally {
      probe.disconnect();
    }
    return sentinel;
  }

  get url(): string {
    return `redis-sentinel://127.0.0.1:${this.port}/${TestSentinel.MASTER_NAME}`;
  }
}
