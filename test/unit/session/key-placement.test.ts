import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { BUCKETS, bucketOfKey, mintIdInBucket } from '../../../gateway/session/key-placement.js';
import { storageKeyOf } from '../../../gateway/session/cookie.js';

describe('key placement (the bucket of a storage key)', () => {
  it('is the first byte of the base64url key, read off its first characters', () => {
    for (let i = 0; i < 2_000; i++) {
      const key = randomBytes(32).toString('base64url');
      assert.equal(bucketOfKey(key), Buffer.from(key.slice(0, 4), 'base64url')[0]! % BUCKETS, key);
    }
    assert.equal(bucketOfKey('____'), 255);
    assert.equal(bucketOfKey('AAAA'), 0);
  });

  it('hashes any other string (too short, or not base64url)', () => {
    for (const key of ['', 'abc', 'a+bc', 'ab/c', 'é123', 'x:y:z']) {
      assert.equal(bucketOfKey(key), createHash('sha256').update(key).digest()[0]! % BUCKETS, key);
    }
  });

  it('mints ids whose storage key falls in the bucket asked for', () => {
    for (const bucket of [0, 17, 255]) {
      const { id, key } = mintIdInBucket(bucket, storageKeyOf);
      assert.equal(key, storageKeyOf(id));
      assert.equal(bucketOfKey(key), bucket);
    }
  });
});
