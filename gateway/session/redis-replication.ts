import type { Logger } from '../log.js';
import { defineSessionCommands, type SessionCommands } from './redis-commands.js';
import { duplicateRedisClient, sentinelTargetOf, waitUntilReady, type RedisClient } from './redis-connection.js';
import { addressOf, connectedNode, sameNode, settledMaster, type MasterAddress } from './redis-sentinel-master.js';
import type { Reply } from './redis-write.js';

/**
 * Commits that wait for replicas (`$session_wait_replicas N`, `$session_wait_timeout T`; docs/architecture.md §13).
 * A commit and `WAIT N T` go in one pipeline, so they share a connection (and, on a Cluster, the node the key lives
 * on): WAIT counts the replicas that have this connection's last write. When fewer acknowledge within T the write is
 * on the master all the same, so the commit is answered (a 503 "not applied" would be false), with a log line and a
 * count of unreplicated commits (CommitResult.unreplicated, counted by observability/timed-store.ts).
 *
 * Redis blocks a connection for the whole of a WAIT, and the commands queued behind it on the same connection with
 * it. So these commits go over a small pool of their own connections, busiest last: a master left without replicas
 * makes each commit slower by T, not every commit behind it.
 */

export interface Replication {
  replicas: number;
  timeoutMs: number;
}

/** The commit's own bytes, queued on a pipeline (a pipeline takes the same defined commands as the client). */
export type QueueWrite = (pipeline: SessionCommands) => void;

const POOL_SIZE = 8;
/** How long a short write waits for a Sentinel failover to end, and then for the connection to reach the new master. */
const SETTLE_TIMEOUT_MS = 5_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** How long a new pool connection may take to come up before the commit goes over the store's main one. */
const READY_TIMEOUT_MS = 2_000;

interface Lane {
  client: RedisClient;
  inFlight: number;
}

export class ReplicatedWrites {
  readonly #main: RedisClient;
  readonly #log: Logger | undefined;
  readonly #lanes: Lane[] = [];
  #closed = false;
  /** Replies of writes that fewer replicas acknowledged than asked (the store marks its result, metrics count it). */
  readonly #short = new WeakSet<Reply>();

  constructor(main: RedisClient, log: Logger | undefined) {
    this.#main = main;
    this.#log = log;
  }

  /**
   * Run the write and WAIT; resolve with the write's reply. Rejects (outcome unknown: the caller fences the token)
   * when the write or the WAIT failed — after a lost WAIT the master may be gone with a write no replica has.
   */
  async write(queue: QueueWrite, replication: Replication, operation: string): Promise<Reply> {
    const lane = this.#pick();
    const client = lane?.client ?? this.#main;
    if (lane) lane.inFlight++;
    try {
      const pipeline = client.pipeline();
      queue(pipeline as unknown as SessionCommands);
      pipeline.wait(replication.replicas, replication.timeoutMs);
      const results = (await pipeline.exec()) ?? [];
      const [written, waited] = results;
      if (!written || written[0]) throw written?.[0] ?? new Error('the pipeline returned no reply for the write');
      const reply = written[1] as Reply;
      if (reply[0] !== 'ok') return reply;
      if (!waited || waited[0]) throw waited?.[0] ?? new Error('the pipeline returned no reply for WAIT');
      const acks = Number(waited[1]);
      if (acks < replication.replicas) {
        await this.#vouch(client, connectedNode(client), operation);
        this.#short.add(reply);
        this.#shortfall(operation, acks, replication);
      }
      return reply;
    } finally {
      if (lane) lane.inFlight--;
    }
  }

  /**
   * On Sentinel, a short write is acknowledged only if the node that took it is the master once any failover has
   * ended (redis-sentinel-master.ts). Otherwise it sits on a demoted master that will drop it: move the store's
   * connection to the new master and throw, so the caller's fence (redis-write.ts) asks the new master, which
   * answers "not applied" — or "applied", if the replica did have it after all.
   */
  async #vouch(client: RedisClient, wrote: MasterAddress | null, operation: string): Promise<void> {
    const target = sentinelTargetOf(this.#main);
    if (!target) return;
    const named = await settledMaster(target, SETTLE_TIMEOUT_MS);
    const master = named && (await addressOf(named));
    if (master && wrote && sameNode(master, wrote)) return;
    this.#log?.warn({ event: 'session.commit_on_demoted_master', operation, wrote, master },
      `a session ${operation} went to a Redis node the sentinels no longer name master; asking the new master whether it holds it`);
    if (client !== this.#main) client.disconnect(true);
    if (master) await this.#follow(master);
    throw new Error(`the ${operation} was written on a demoted master (${wrote ? `${wrote.host}:${wrote.port}` : 'unknown node'})`);
  }

  /** Until the store's own connection is on `master` (reconnecting it once if it stays on another node). */
  async #follow(master: MasterAddress): Promise<void> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    let nudged = false;
    while (Date.now() < deadline) {
      const node = connectedNode(this.#main);
      if (node && sameNode(node, master)) return;
      if (node && !nudged) {
        nudged = true;
        this.#main.disconnect(true);
      }
      await sleep(50);
    }
  }

  /** Whether this reply came from a write that its replicas did not all acknowledge in time. */
  wasShort(reply: Reply): boolean {
    return this.#short.has(reply);
  }

  #shortfall(operation: string, acks: number, replication: Replication): void {
    this.#log?.warn({
      event: 'session.commit_unreplicated', operation, replicas: replication.replicas, acknowledged: acks, waitMs: replication.timeoutMs,
    }, `a session ${operation} was applied on the Redis master but ${acks} of ${replication.replicas} replica(s) acknowledged it within ${replication.timeoutMs} ms`);
  }

  /** The ready lane with the fewest commits in flight; opens another while every one is busy and the pool has room. */
  #pick(): Lane | null {
    let best: Lane | null = null;
    for (const lane of this.#lanes) {
      if (lane.client.status === 'ready' && (!best || lane.inFlight < best.inFlight)) best = lane;
    }
    if ((!best || best.inFlight > 0) && this.#lanes.length < POOL_SIZE) this.#open();
    return best;
  }

  #open(): void {
    if (this.#closed) return;
    let client: RedisClient;
    try {
      client = duplicateRedisClient(this.#main, { connectionName: 'session-gateway:commits' });
    } catch {
      // A client not made by createRedisClient (a test's own): everything goes over it.
      return;
    }
    defineSessionCommands(client);
    this.#lanes.push({ client, inFlight: 0 });
    // Not ready yet is fine: #pick() skips it until it is; it keeps reconnecting in the background like the main one.
    waitUntilReady(client, READY_TIMEOUT_MS).catch(() => {});
  }

  close(): void {
    this.#closed = true;
    for (const lane of this.#lanes.splice(0)) lane.client.disconnect();
  }
}
