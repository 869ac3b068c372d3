import { createHash, randomBytes } from 'node:crypto';

/**
 * Where a session lives in a sharded store (docs/architecture.md §13): one of BUCKETS buckets, given by the first
 * byte of its storage key. A store that shards tells the session service which bucket a login's new key must fall in
 * (SessionStore.placementOf), and the service mints ids until the storage key does: 256 tries on average, drawn from
 * one random block, a fraction of a millisecond once per login. Pure functions, no I/O.
 */

export const BUCKETS = 256;

/** Each base64url character's 6-bit value by char code (-1: not base64url). */
const SEXTET = new Int8Array(128).fill(-1);
[...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].forEach((c, i) => { SEXTET[c.charCodeAt(0)] = i; });

function sextet(key: string, i: number): number {
  const code = key.charCodeAt(i);
  return code < 128 ? SEXTET[code]! : -1;
}

/**
 * The bucket of a storage key: its first byte (keys are base64url SHA-256), read off the first two characters (it is
 * on every session read); any other string by its own hash.
 */
export function bucketOfKey(key: string): number {
  const a = sextet(key, 0);
  const b = sextet(key, 1);
  if (key.length >= 4 && a >= 0 && b >= 0 && sextet(key, 2) >= 0 && sextet(key, 3) >= 0) return ((a << 2) | (b >> 4)) % BUCKETS;
  return createHash('sha256').update(key).digest()[0]! % BUCKETS;
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
