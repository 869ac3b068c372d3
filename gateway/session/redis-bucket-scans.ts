import { bucketGroups, wrongNode } from './redis-bucket-groups.js';
import type { SessionCommands } from './redis-commands.js';
import { toStoreUnavailable, type RedisClient } from './redis-connection.js';
import { bucketPrefix, SWEEP_LOCK_KEY } from './redis-keys.js';
import { addCounters, noCounters } from './redis-replies.js';
import type { Reply } from './redis-write.js';
import { SIZE_BUCKETS, type ExpiredSession, type SessionStats, type SweepOptions, type SweepResult } from './store.js';

/**
 * The store-wide passes of the Redis store, over every bucket: the expiry sweep and the stats
 * (docs/architecture.md §13, "Sweep and stats"). Both first read many buckets in one script per node group
 * (redis-bucket-groups.ts): an idle sweep is one read-only script per node and finds no bucket to sweep; the sweep
 * script itself runs only in buckets with a deadline due, so what ends a session is still one script in its bucket.
 */

export interface ScanContext {
  client: RedisClient;
  commands: SessionCommands;
  /** A principal as stored → in clear, for the log line of a swept session. */
  peekPrincipal: (stored: string) => string | null;
}

/** One script checks this many buckets' earliest deadline: a bucket costs one ZRANGEBYSCORE LIMIT 1 in it. */
const DUE_GROUP = 256;
/** One stats script reads this many buckets (about a dozen reads each), so no one script keeps Redis busy long. */
const STATS_GROUP = 32;

const prefixesOf = (group: readonly number[]): string[] => group.map(bucketPrefix);

/** The buckets of `group` with a deadline due; bucket by bucket when the group's node map was stale. */
async function dueIn(ctx: ScanContext, group: number[], now: string): Promise<number[]> {
  try {
    const positions = await ctx.commands.sgDueBuckets(`${bucketPrefix(group[0]!)}x`, now, ...prefixesOf(group));
    return positions.map((p) => group[Number(p) - 1]!);
  } catch (err) {
    if (!wrongNode(err) || group.length === 1) throw err;
    return (await Promise.all(group.map((b) => dueIn(ctx, [b], now)))).flat();
  }
}

/** Under the one sweep lock: find the buckets with work due, then sweep each of them (pipelined). */
export async function sweepBuckets(ctx: ScanContext, now: number, options: SweepOptions): Promise<SweepResult> {
  let replies: Reply[];
  try {
    if ((await ctx.commands.sgTakeSweepLock(SWEEP_LOCK_KEY, options.owner, String(options.lockMs))) !== 1) return { swept: false };
    const due = (await Promise.all(bucketGroups(ctx.client, DUE_GROUP).map((group) => dueIn(ctx, group, String(now))))).flat();
    replies = await Promise.all(due.map((b) => ctx.commands.sgSweepBucket(`${bucketPrefix(b)}x`, bucketPrefix(b), String(now), String(options.batch))));
  } catch (err) {
    throw toStoreUnavailable(err, 'sweep');
  }
  const expired: ExpiredSession[] = [];
  let more = false;
  for (const reply of replies) {
    more ||= reply[0] === '1';
    for (let i = 1; i + 2 < reply.length; i += 3) {
      expired.push({ handle: reply[i] as string, principal: reply[i + 1] === '' ? null : ctx.peekPrincipal(reply[i + 1] as string), reason: reply[i + 2] === 'absolute' ? 'absolute' : 'idle' });
    }
  }
  return { swept: true, expired, more };
}

type GroupStats = [Reply, number, number, number[]];

async function statsOf(ctx: ScanContext, group: number[], now: string, bounds: string[]): Promise<GroupStats[]> {
  try {
    return [await ctx.commands.sgGroupStats(`${bucketPrefix(group[0]!)}c`, now, String(bounds.length), ...bounds, ...prefixesOf(group))];
  } catch (err) {
    if (!wrongNode(err) || group.length === 1) throw err;
    return (await Promise.all(group.map((b) => statsOf(ctx, [b], now, bounds)))).flat();
  }
}

/** Counters, live and pending sessions and the size distribution, summed over every bucket. */
export async function bucketStats(ctx: ScanContext, now: number): Promise<SessionStats> {
  const bounds = [...SIZE_BUCKETS.map(String), '+inf'];
  let replies: GroupStats[];
  try {
    replies = (await Promise.all(bucketGroups(ctx.client, STATS_GROUP).map((group) => statsOf(ctx, group, String(now), bounds)))).flat();
  } catch (err) {
    throw toStoreUnavailable(err, 'stats');
  }
  const counters = noCounters();
  let active = 0;
  let pendingExpiry = 0;
  const sizes = bounds.map(() => 0);
  for (const [flat, live, pending, groupSizes] of replies) {
    addCounters(counters, flat);
    active += Number(live);
    pendingExpiry += Number(pending);
    groupSizes.forEach((n, i) => (sizes[i]! += Number(n)));
  }
  return { active, pendingExpiry, counters, sizeBuckets: sizes.map((count, i) => ({ le: SIZE_BUCKETS[i] ?? null, count })) };
}
