import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../helpers/ports.js';
import { waitFor, waitForRedis } from '../../../scripts/lib/net.js';

/**
 * Real Sentinel and Cluster processes for the store tests (never the shared Redis): a sentinel watching a
 * test-started master, and a one-node Redis Cluster that owns every slot.
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

/** A one-node Redis Cluster owning all 16384 slots: enough to run every script in cluster mode. */
export class TestCluster extends RedisProcess {
  static async start(): Promise<TestCluster> {
    const cluster = new TestCluster(await freePort());
    // The bus port is port + 10000 unless named, which may be taken or past 65535; announce an address so
    // CLUSTER SLOTS names the node (a lone node otherwise reports an empty host, which clients cannot use).
    await cluster.spawnServer([
      '--port', String(cluster.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', cluster.dir,
      '--cluster-enabled', 'yes', '--cluster-config-file', join(cluster.dir, 'nodes.conf'),
      '--cluster-port', String(await freePort()), '--cluster-announce-ip', '127.0.0.1',
    ]);
    const client = cluster.client();
    try {
      await client.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
      await waitFor(async () => /cluster_state:ok/.test(String(await client.call('CLUSTER', 'INFO'))), { what: 'cluster_state:ok' });
    } finally {
      client.disconnect();
    }
    return cluster;
  }

  get url(): string {
    return `redis-cluster://127.0.0.1:${this.port}`;
  }

  /** A plain (non-cluster) client to the node, for assertions. */
  client(): Redis {
    return new Redis(this.port, '127.0.0.1');
  }
}
