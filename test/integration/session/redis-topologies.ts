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

  /**
   * `downAfterMs`: how long the master may not answer before the sentinel fails over (default 5000);
   * `replicas`: wait until the sentinel has discovered that many replicas (it can fail over only to one it knows).
   */
  static async start(masterPort: number, options: { downAfterMs?: number; replicas?: number } = {}): Promise<TestSentinel> {
    const sentinel = new TestSentinel(await freePort());
    const conf = join(sentinel.dir, 'sentinel.conf');
    // Sentinel rewrites its config file, so it must be a writable file of its own.
    writeFileSync(conf, [
      `port ${sentinel.port}`,
      'bind 127.0.0.1',
      `dir ${sentinel.dir}`,
      `sentinel monitor ${TestSentinel.MASTER_NAME} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${TestSentinel.MASTER_NAME} ${options.downAfterMs ?? 5000}`,
      '',
    ].join('\n'));
    await sentinel.spawnServer([conf, '--sentinel']);
    const probe = new Redis(sentinel.port, '127.0.0.1');
    try {
      await waitFor(async () => {
        const reply = (await probe.call('SENTINEL', 'get-master-addr-by-name', TestSentinel.MASTER_NAME)) as string[] | null;
        if (reply?.[1] !== String(masterPort)) return false;
        const replicas = (await probe.call('SENTINEL', 'replicas', TestSentinel.MASTER_NAME)) as unknown[];
        return replicas.length >= (options.replicas ?? 0);
      }, { what: 'the sentinel to know its master and its replicas' });
    } finally {
      probe.disconnect();
    }
    return sentinel;
  }

  get url(): string {
    return `redis-sentinel://127.0.0.1:${this.port}/${TestSentinel.MASTER_NAME}`;
  }

  /** The port of the master the sentinel names now. */
  async masterPort(): Promise<number> {
    const probe = new Redis(this.port, '127.0.0.1');
    try {
      const reply = (await probe.call('SENTINEL', 'get-master-addr-by-name', TestSentinel.MASTER_NAME)) as string[];
      return Number(reply[1]);
    } finally {
      probe.disconnect();
    }
  }

  /** `SENTINEL FAILOVER`: a planned switch to a replica (the old master is demoted to a replica of it). */
  async failover(): Promise<void> {
    const probe = new Redis(this.port, '127.0.0.1');
    try {
      await probe.call('SENTINEL', 'FAILOVER', TestSentinel.MASTER_NAME);
    } finally {
      probe.disconnect();
    }
  }
}
