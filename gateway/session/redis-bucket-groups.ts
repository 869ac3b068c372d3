import { isCluster, type RedisClient } from './redis-connection.js';
import { allBuckets, slotOfBucket } from './redis-keys.js';

/**
 * Buckets grouped by the Redis node that holds them, so one script can read many buckets at once
 * (docs/architecture.md §13, "Sweep and stats"). Standalone and Sentinel Redis is one node: every bucket is in one
 * group. On a Cluster the groups follow the client's slot map; a script reads keys of other slots on its own node
 * (undeclared keys, as every store script builds its bucket's names), never keys of another node — a stale map makes
 * it fail with "non local key", and the caller then goes bucket by bucket. Groups are cut to at most `max` buckets,
 * which bounds how long one script keeps Redis busy.
 */
export function bucketGroups(client: RedisClient, max: number): number[][] {
  const byNode = new Map<string, number[]>();
  for (const bucket of allBuckets()) {
    const node = isCluster(client) ? client.slots[slotOfBucket(bucket)]?.[0] ?? '' : '';
    let group = byNode.get(node);
    if (!group) byNode.set(node, (group = []));
    group.push(bucket);
  }
  const groups: number[][] = [];
  for (const group of byNode.values()) {
    for (let i = 0; i < group.length; i += max) groups.push(group.slice(i, i + max));
  }
  return groups;
}

/** A script that read a key off its node (a slot moved since the map was read): worth retrying bucket by bucket. */
export function wrongNode(err: unknown): boolean {
  const message = (err as Error | undefined)?.message ?? '';
  return /non local key|MOVED|ASK|CROSSSLOT/.test(message);
}
