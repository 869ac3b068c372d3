import { createHash, randomBytes } from 'node:crypto';

/**
 * Where a session lives in a sharded store (docs/architecture.md §13): one of BUCKETS buckets, given by the first
 * byte of its storage key. A store that shards tells the session service which bucket a login's new key must fall in
 * (SessionStore.placementOf), and the service mints ids until the storage key does: 256 tries on average, drawn from
 * one random block, a fraction of a millisecond once per login. Pure functions, no I/O.
 */

export const BUCKETS = 256;

const BASE64URL = /^[A-Za-z0-9_-]{4}/;

/** The bucket of a storage key: its first byte (keys are base64url SHA-256); any other string by its own hash. */
export function bucketOfKey(key: string): number {
  const head = BASE64URL.test(key) ? Buffer.from(key.slice(0, 4), 'base64url') : createHash('sha256').update(key).digest();
  return head[0]! % BUCKETS;
}

/** The bucket of a principal, by its index id: every session of the principal is minted into it at login. */
export function bucketOfPrincipal(principalId: string): number {
  return createHash('sha256').update(principalId).digest()[0]! % BUCKETS;
}

const ID_BYTES = 32;
const BLOCK = 64;

/**
 * A fresh 256-bit id whose storage key (`keyOf`) falls in `bucket`. Each candidate is 32 bytes straight from
 * crypto.randomBytes; only the choice among them depends on the bucket, so an id keeps 248 bits nobody can predict.
 */
export function mintIdInBucket(bucket: number, keyOf: (id: string) => string): { id: string; key: string } {
  for (;;) {
    const block = randomBytes(ID_BYTES * BLOCK);
    for (let i = 0; i < BLOCK; i++) {
      const id = block.subarray(i * ID_BYTES, (i + 1) * ID_BYTES).toString('base64url');
      const key = keyOf(id);
      if (bucketOfKey(key) === bucket) return { id, key };
    }
  }
}
