import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { KEY_PREFIX } from '../../../gateway/session/redis-keys.js';

/** Every key on one test Redis node (never the shared one), raw. */
export async function allKeys(client: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

/**
 * What the session store holds on the given nodes (a Cluster's masters, or one Redis), named without the prefix and
 * the bucket tag (`sg:v2:{tag}:s:K` → `s:K`; a bucket index like `x` once however many buckets have one), sorted —
 * and an assertion failure for any key outside the namespace: the store must never write elsewhere.
 */
export async function namespacedKeys(...clients: Redis[]): Promise<string[]> {
  const names = new Set<string>();
  for (const client of clients) {
    for (const key of await allKeys(client)) {
      assert.ok(key.startsWith(KEY_PREFIX), `key outside ${KEY_PREFIX}: ${key}`);
      const m = /^\{[^}]*\}:(.*)$/.exec(key.slice(KEY_PREFIX.length));
      assert.ok(m, `key without a bucket tag: ${key}`);
      names.add(m[1]!);
    }
  }
  return [...names].sort();
}
