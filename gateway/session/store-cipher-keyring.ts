import { randomBytes } from 'node:crypto';
import { StoreKeyError } from '../errors.js';
import type { Logger } from '../log.js';
import type { RedisClient } from './redis-connection.js';
import { INDEX_KEY_KEY } from './redis-keys.js';
import { keyIdOf, openWith, sealedKeyId, sealWith, STORE_KEY_BYTES, StoreCipher } from './store-cipher.js';

/**
 * The principal index key (docs/architecture.md §13, "Encryption at rest"). Index ids are an HMAC of the principal,
 * and they must not change when SESSION_STORE_KEY rotates (a principal's sessions would split over two indexes and
 * two buckets, and force logout would miss some). So the HMAC key is random, made once by the first gateway, and
 * kept in Redis sealed under the current store key — envelope encryption: rotating SESSION_STORE_KEY re-seals it
 * (every gateway does at start-up) and changes no index id. A dump holds only the sealed key.
 */

/** The associated data the index key is sealed under (exported for tests that work out an index id themselves). */
export const INDEX_KEY_AAD = 'session-gateway/principal-index-key/v1';

/** Replace the sealed key only if it is still the one read (two gateways starting at once agree on one key). */
const RESEAL = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end
return 0
`;

export async function openStoreCipher(client: RedisClient, keys: readonly Buffer[], log?: Logger): Promise<StoreCipher> {
  const current = keys[0]!;
  let sealed = await client.get(INDEX_KEY_KEY);
  if (sealed === null) {
    await client.set(INDEX_KEY_KEY, sealWith(current, INDEX_KEY_AAD, randomBytes(STORE_KEY_BYTES).toString('base64url')), 'NX');
    sealed = (await client.get(INDEX_KEY_KEY))!;
  }
  const opener = keys.find((k) => keyIdOf(k) === sealedKeyId(sealed));
  const plain = opener ? openWith(opener, INDEX_KEY_AAD, sealed) : null;
  if (plain === null) {
    throw new StoreKeyError(`the principal index key in Redis (${INDEX_KEY_KEY}) is sealed under key id ${sealedKeyId(sealed) ?? '(none)'}, ` +
      `which SESSION_STORE_KEY does not list or which does not open it (listed: ${keys.map(keyIdOf).join(', ')}); list that key again`);
  }
  if (opener !== current) {
    const resealed = await client.eval(RESEAL, 1, INDEX_KEY_KEY, sealed, sealWith(current, INDEX_KEY_AAD, plain));
    log?.info({ event: 'session.store_key_rotated', from: keyIdOf(opener!), to: keyIdOf(current), resealed: resealed === 1 },
      'the principal index key is now sealed under the first SESSION_STORE_KEY');
  }
  return new StoreCipher(keys, Buffer.from(plain, 'base64url'));
}
