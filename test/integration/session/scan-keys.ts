import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';

/**
 * Every key on a test Redis (never the shared one), without the store's prefix, sorted — and an assertion failure
 * for any key outside the namespace: the store must never write elsewhere.
 */
export async function namespacedKeys(client: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  for (const key of keys) assert.ok(key.startsWith(prefix), `key outside ${prefix}: ${key}`);
  return keys.map((k) => k.slice(prefix.length)).sort();
}
