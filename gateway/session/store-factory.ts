import type { Logger } from '../log.js';
import { MemorySessionStore } from './memory-store.js';
import { GatewayError } from '../errors.js';
import { connectRedis, toStoreUnavailable, type RedisConnectionOptions } from './redis-connection.js';
import { RedisSessionStore } from './redis-store.js';
import { openStoreCipher } from './store-cipher-keyring.js';
import type { SessionStore } from './store.js';

export interface SessionStoreOptions {
  /** REDIS_URL; null → the embedded in-memory store (one gateway only). */
  redisUrl: string | null;
  log?: Logger;
  /** How long start-up waits for the first Redis connection (default 5 s). */
  readyTimeoutMs?: number;
  /** The embedded store's memory bound in bytes (SESSION_MEMORY_MAX); default half the V8 heap limit. */
  memoryLimitBytes?: number | null;
  /** Connection tuning (timeouts, backoff); see redis-connection.ts. */
  connection?: RedisConnectionOptions;
  /** SESSION_STORE_KEY: encrypt values and principals in Redis (store-cipher.ts); the embedded store needs none. */
  storeKeys?: readonly Buffer[];
}

/** The environment settings the store is made from (EnvSettings' fields): every process that opens a store uses this. */
export function sessionStoreOptions(env: { redisUrl: string | null; sessionMemoryMax: number | null; sessionStoreKeys: readonly Buffer[] }, log?: Logger): SessionStoreOptions {
  return { redisUrl: env.redisUrl, memoryLimitBytes: env.sessionMemoryMax, storeKeys: env.sessionStoreKeys, ...(log !== undefined ? { log } : {}) };
}

/**
 * The store the gateway runs on. With a Redis URL it waits (bounded) for the first connection, so a mistyped or
 * unreachable REDIS_URL stops start-up with a StoreUnavailableError naming the (password-redacted) URL instead of
 * a gateway that answers 503 to everything.
 */
export async function createSessionStore(options: SessionStoreOptions): Promise<SessionStore> {
  const { redisUrl, log } = options;
  const storeKeys = options.storeKeys ?? [];
  if (redisUrl === null) {
    if (storeKeys.length > 0) log?.info({ event: 'session.store_key_unused' }, 'SESSION_STORE_KEY is set, but the embedded store keeps sessions in this process only: nothing to encrypt');
    // No timer of its own: the gateway's ExpirySweeper ends expired sessions (and logs each one).
    return new MemorySessionStore({ sweepIntervalMs: 0, ...(options.memoryLimitBytes ? { memoryLimitBytes: options.memoryLimitBytes } : {}) });
  }
  const client = await connectRedis(redisUrl, {
    ...options.connection,
    ...(log !== undefined ? { log } : {}),
    connectionName: options.connection?.connectionName ?? 'session-gateway:sessions',
    readyTimeoutMs: options.readyTimeoutMs ?? 5_000,
  });
  try {
    const cipher = storeKeys.length > 0 ? await openStoreCipher(client, storeKeys, log) : undefined;
    return new RedisSessionStore(client, { ...(log !== undefined ? { log } : {}), ...(cipher ? { cipher } : {}) });
  } catch (err) {
    client.disconnect();
    throw err instanceof GatewayError ? err : toStoreUnavailable(err, 'start');
  }
}
