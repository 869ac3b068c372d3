import calculateSlot from 'cluster-key-slot';
import { BUCKETS } from './key-placement.js';

/**
 * The Redis key layout of the session store, version 2 (docs/architecture.md §13). Sessions are spread over
 * BUCKETS buckets; each bucket is one hash tag, and the tags are chosen so that bucket b's slot lies in the b-th
 * 1/BUCKETS of the slot range: however a Cluster splits its slots into contiguous ranges, the buckets (and with them
 * the sessions) spread over its masters in proportion. Everything one Lua script touches is in one bucket:
 *
 *   <b>s:<key>    hash: attributes `scope\0name` → value, and meta fields starting with "#" (redis-lua-prelude.ts)
 *   <b>e:<key>    tombstone of a session the duplicate-login policy evicted, for the rest of its lifetime
 *   <b>r:<key>    the id a login rotated away from → the new key, for the login grace (the login race)
 *   <b>i:<token>  a commit's result under its idempotency token (a resent script returns it), or a fence
 *   <b>p:<id>     zset: keys of a principal's sessions by login time (a principal's sessions all live in its bucket)
 *   <b>x          zset `key|handle` → deadline: the expiry sweep's work list
 *   <b>z          zset `key|handle` → encoded size (the size distribution)
 *   <b>k          hash handle → key (admin kill by sid)
 *   <b>c          hash of event counters (summed over every bucket for the stats)
 *   sg:v2:{sg}:l:sweep   the sweep lock (one gateway sweeps per interval)
 *   sg:v2:{sg}:w:index   the principal index key, sealed under SESSION_STORE_KEY (store-cipher-keyring.ts; only
 *                        when encryption at rest is on: then <id> is an HMAC of the principal, not the principal)
 *
 * where <b> is `sg:v2:{<tag of the bucket>}:`. A session's bucket comes from its storage key, a principal's from its
 * index id (key-placement.ts); a login mints the new id into the principal's bucket, so login, the duplicate-login
 * policy and eviction stay one script.
 */

export const KEY_PREFIX = 'sg:v2:';
const SLOTS = 16384;

export const SWEEP_LOCK_KEY = `${KEY_PREFIX}{sg}:l:sweep`;
export const INDEX_KEY_KEY = `${KEY_PREFIX}{sg}:w:index`;

/** Tag strings, one per bucket, found by search: the first `b.j` (base 36) whose slot falls in bucket b's range. */
const TAGS: readonly string[] = Array.from({ length: BUCKETS }, (_, bucket) => {
  for (let j = 0; ; j++) {
    const tag = `${bucket.toString(36)}.${j.toString(36)}`;
    if (Math.floor((calculateSlot(tag) * BUCKETS) / SLOTS) === bucket) return tag;
  }
});

const PREFIXES: readonly string[] = TAGS.map((tag) => `${KEY_PREFIX}{${tag}}:`);

/** `sg:v2:{tag}:` of a bucket: what the scripts prepend to the names above. */
export function bucketPrefix(bucket: number): string {
  return PREFIXES[bucket]!;
}

export function allBuckets(): number[] {
  return Array.from({ length: BUCKETS }, (_, b) => b);
}

/** The Cluster slot of a bucket (tests check the spread with it). */
export function slotOfBucket(bucket: number): number {
  return calculateSlot(TAGS[bucket]!);
}
