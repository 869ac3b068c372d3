import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Redis } from 'ioredis';
import type { RedisClient, RedisTarget } from './redis-connection.js';

/**
 * Who the sentinels say is master, for a write that its replicas did not acknowledge (docs/architecture.md §13).
 * On a Sentinel deployment a WAIT falls short in exactly the moment that matters: the replica has just been
 * promoted (it no longer replicates from the old master) while the old master still takes writes, which it drops
 * when it is demoted and resyncs. So before such a write is acknowledged, the sentinels are asked — once no
 * failover is in progress — whether the node that took it is still the master.
 */

type SentinelTarget = Extract<RedisTarget, { mode: 'sentinel' }>;

export interface MasterAddress {
  host: string;
  port: number;
}

const ASK_TIMEOUT_MS = 1_000;
const POLL_MS = 100;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `SENTINEL MASTER name` of one sentinel: its address of the master and whether it is failing it over. */
async function askSentinel(target: SentinelTarget, sentinel: { host: string; port: number }): Promise<{ master: MasterAddress; failingOver: boolean } | null> {
  const probe = new Redis({
    host: sentinel.host, port: sentinel.port, connectTimeout: ASK_TIMEOUT_MS, commandTimeout: ASK_TIMEOUT_MS,
    maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true,
    ...(target.sentinelPassword !== undefined ? { password: target.sentinelPassword } : {}),
    ...(target.tls ? { tls: {} } : {}),
  });
  probe.on('error', () => {}); // an unreachable sentinel is skipped, the next one asked
  try {
    await probe.connect();
    const flat = (await probe.call('SENTINEL', 'MASTER', target.masterName)) as string[];
    const field = (name: string): string => flat[flat.indexOf(name) + 1] ?? '';
    return { master: { host: field('ip'), port: Number(field('port')) }, failingOver: /failover_in_progress|promoted/.test(field('flags')) };
  } catch {
    return null;
  } finally {
    probe.disconnect();
  }
}

/**
 * The master once no sentinel reports a failover in progress (polled up to `timeoutMs`); null when no sentinel
 * answered or the failover did not end in time (the caller cannot vouch for the write).
 */
export async function settledMaster(target: SentinelTarget, timeoutMs: number): Promise<MasterAddress | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answers = (await Promise.all(target.sentinels.map((s) => askSentinel(target, s)))).filter((a) => a !== null);
    if (answers.length > 0 && !answers.some((a) => a.failingOver)) return answers[0]!.master;
    if (Date.now() + POLL_MS > deadline) return null;
    await sleep(POLL_MS);
  }
}

/** The node a (non-Cluster) client is connected to now, or null while it is not. */
export function connectedNode(client: RedisClient): MasterAddress | null {
  const stream = (client as Redis).stream as { remoteAddress?: string; remotePort?: number } | undefined;
  if (client.status !== 'ready' || !stream?.remoteAddress || !stream.remotePort) return null;
  return { host: stream.remoteAddress.replace(/^::ffff:/, ''), port: stream.remotePort };
}

const loopback = (h: string): string => (h === 'localhost' || h === '::1' ? '127.0.0.1' : h.replace(/^::ffff:/, ''));

/** Same host and port (loopback however spelled). Compare addresses: see addressOf() for a name a sentinel announced. */
export function sameNode(a: MasterAddress, b: MasterAddress): boolean {
  return a.port === b.port && loopback(a.host) === loopback(b.host);
}

/** The master with its host as an address (sentinels may announce host names; a socket knows the address). */
export async function addressOf(master: MasterAddress): Promise<MasterAddress> {
  if (isIP(master.host) !== 0 || master.host === 'localhost') return master;
  try {
    return { host: (await lookup(master.host)).address, port: master.port };
  } catch {
    return master;
  }
}
