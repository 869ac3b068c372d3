import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, waitFor, waitForRedis } from '../../scripts/lib/net.js';

/**
 * A real Redis Cluster for one test file: `masters` redis-servers splitting the 16384 slots into contiguous ranges
 * (as `redis-cli --cluster create` does), each with `replicasPerMaster` replicas, all on free ports of 127.0.0.1.
 * Never the shared Redis. Built by hand (config epochs, MEET with the bus port, REPLICATE) rather than with
 * `redis-cli --cluster create`, so every bus port is a free port of our choosing too.
 */

const SLOTS = 16384;

export interface ClusterNode {
  port: number;
  busPort: number;
  id: string;
  /** Whether the node was started as a master (a failover can change what it is now: see masters()). */
  startedAsMaster: boolean;
}

interface Running extends ClusterNode {
  child: ChildProcess;
}

export interface TestClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  /** cluster-node-timeout: how long a master may be unreachable before its replica takes over (default 2000). */
  nodeTimeoutMs?: number;
}

export class TestCluster {
  readonly #dir = mkdtempSync(join(tmpdir(), 'sg-redis-cluster-'));
  readonly #nodes: Running[] = [];
  readonly #clients = new Map<number, Redis>();

  static async start(options: TestClusterOptions = {}): Promise<TestCluster> {
    const cluster = new TestCluster();
    try {
      await cluster.#build(options.masters ?? 3, options.replicasPerMaster ?? 1, options.nodeTimeoutMs ?? 2000);
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  async #build(masters: number, replicas: number, nodeTimeoutMs: number): Promise<void> {
    const total = masters * (1 + replicas);
    for (let i = 0; i < total; i++) this.#nodes.push(await this.#spawn(i < masters, nodeTimeoutMs));
    await Promise.all(this.#nodes.map(async (node, i) => {
      const c = this.client(node.port);
      await c.call('CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1));
      node.id = String(await c.call('CLUSTER', 'MYID'));
      if (i < masters) {
        const first = Math.floor((i * SLOTS) / masters);
        const last = Math.floor(((i + 1) * SLOTS) / masters) - 1;
        await c.call('CLUSTER', 'ADDSLOTSRANGE', String(first), String(last));
      }
    }));
    const seed = this.client(this.#nodes[0]!.port);
    for (const node of this.#nodes.slice(1)) await seed.call('CLUSTER', 'MEET', '127.0.0.1', String(node.port), String(node.busPort));
    await waitFor(async () => {
      for (const node of this.#nodes) {
        const lines = String(await this.client(node.port).call('CLUSTER', 'NODES')).trim().split('\n');
        if (lines.length < total || lines.some((l) => /handshake|noaddr/.test(l))) return false;
      }
      return true;
    }, { what: 'every cluster node to know every other', timeoutMs: 20_000 });
    for (let i = masters; i < total; i++) {
      const master = this.#nodes[(i - masters) % masters]!;
      await this.client(this.#nodes[i]!.port).call('CLUSTER', 'REPLICATE', master.id);
    }
    await this.waitHealthy(replicas > 0 ? masters * replicas : 0);
  }

  async #spawn(startedAsMaster: boolean, nodeTimeoutMs: number): Promise<Running> {
    const [port, busPort] = [await freePort(), await freePort()];
    const child = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.#dir,
      '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-port', String(busPort),
      '--cluster-announce-ip', '127.0.0.1', '--cluster-node-timeout', String(nodeTimeoutMs),
      // A replica's full sync starts at once: by default a diskless sync waits 5 s for more replicas to join it.
      '--repl-diskless-sync-delay', '0',
    ], { stdio: 'ignore' });
    const node: Running = { port, busPort, id: '', startedAsMaster, child };
    await waitForRedis(port, () => {
      if (child.exitCode !== null) throw new Error(`cluster redis-server on ${port} exited with ${child.exitCode}`);
    });
    return node;
  }

  /** Until every live node reports cluster_state:ok and `connectedReplicas` replicas are attached to masters. */
  async waitHealthy(connectedReplicas: number, timeoutMs = 30_000): Promise<void> {
    await waitFor(async () => {
      let attached = 0;
      for (const node of this.#nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null)) {
        const c = this.client(node.port);
        if (!/cluster_state:ok/.test(String(await c.call('CLUSTER', 'INFO')))) return false;
        const info = String(await c.call('INFO', 'replication'));
        if (/role:master/.test(info)) attached += Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0);
        else if (!/master_link_status:up/.test(info)) return false;
      }
      return attached >= connectedReplicas;
    }, { what: 'the cluster to be healthy', timeoutMs });
  }

  get nodes(): readonly ClusterNode[] {
    return this.#nodes;
  }

  /** Seed addresses of every node, as a gateway is configured. */
  get url(): string {
    return `redis-cluster://${this.#nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`;
  }

  /** A plain (non-cluster) client of one node, for assertions; closed by close(). */
  client(port: number): Redis {
    let c = this.#clients.get(port);
    if (!c) {
      c = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
      c.on('error', () => {}); // a node a test killed on purpose
      this.#clients.set(port, c);
    }
    return c;
  }

  /** Plain clients of the nodes that are masters now and own slots (a failover may have promoted a replica). */
  async masters(): Promise<Redis[]> {
    const out: Redis[] = [];
    for (const node of this.#nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null)) {
      const c = this.client(node.port);
      const me = String(await c.call('CLUSTER', 'NODES')).split('\n').find((l) => l.includes('myself'));
      if (me && /\bmaster\b/.test(me) && me.trim().split(' ').length > 8) out.push(c);
    }
    return out;
  }

  /** FLUSHALL on every master, waiting until its replicas have it too (tests start from an empty store). */
  async flush(): Promise<void> {
    await Promise.all((await this.masters()).map(async (m) => {
      await m.flushall();
      await m.call('WAIT', '0', '1000');
    }));
  }

  /**
   * A planned switch: `CLUSTER FAILOVER` on the replica of `port`, which pauses its master's clients, catches up with
   * it and takes over; resolves once the replica serves as master (the old master then replicates it).
   */
  async failover(masterPort: number): Promise<ClusterNode> {
    const master = this.#nodes.find((n) => n.port === masterPort);
    if (!master) throw new Error(`no cluster node on ${masterPort}`);
    let replica: ClusterNode | undefined;
    for (const node of this.#nodes.filter((n) => n !== master && n.child.exitCode === null && n.child.signalCode === null)) {
      const me = String(await this.client(node.port).call('CLUSTER', 'NODES')).split('\n').find((l) => l.includes('myself'));
      const fields = me?.split(' ') ?? [];
      if (fields[2]?.includes('slave') && fields[3] === master.id) replica = node;
    }
    if (!replica) throw new Error(`the node on ${masterPort} has no replica to fail over to`);
    await this.client(replica.port).call('CLUSTER', 'FAILOVER');
    const promoted = replica;
    await waitFor(async () => /role:master/.test(String(await this.client(promoted.port).call('INFO', 'replication'))),
      { what: `the replica on ${promoted.port} to take over`, timeoutMs: 30_000 });
    return promoted;
  }

  /** SIGKILL one node (a crash; for failover tests). */
  async kill(port: number): Promise<void> {
    const node = this.#nodes.find((n) => n.port === port);
    if (!node || node.child.exitCode !== null || node.child.signalCode !== null) return;
    this.#clients.get(port)?.disconnect();
    this.#clients.delete(port);
    await new Promise<void>((resolve) => {
      node.child.once('exit', () => resolve());
      node.child.kill('SIGKILL');
    });
  }

  async close(): Promise<void> {
    for (const c of this.#clients.values()) c.disconnect();
    this.#clients.clear();
    await Promise.all(this.#nodes.map((n) => this.kill(n.port)));
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
