import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { GatewayError, StoreUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';

/**
 * Connections to Redis from a REDIS_URL (contract forms, see the README):
 *   redis://[user:pass@]host:port[/db]           rediss://… (TLS)
 *   redis-sentinel://[user:pass@]h1:26379,h2:26379/MASTERNAME[/db]   (user:pass authenticate to the master;
 *                                                 `?sentinelPassword=…` when the sentinels need their own)
 *   redis-cluster://[user:pass@]h1:7000,h2:7001   (rediss-sentinel:// and rediss-cluster:// add TLS)
 *
 * Fail fast: a request must get a 503 quickly while Redis is down, not hang. So no offline queue (a command sent
 * while disconnected fails at once), one retry per command, a command timeout, and reconnection forever with a
 * capped backoff in the background. Every failure reaching a caller is a StoreUnavailableError.
 */

export type RedisClient = Redis | Cluster;

export interface RedisConnectionOptions {
  log?: Logger;
  /** A command that has no answer after this long fails (default 2 s). */
  commandTimeoutMs?: number;
  /** A connection attempt that has not succeeded after this long is abandoned and retried (default 2 s). */
  connectTimeoutMs?: number;
  /** Upper bound of the reconnect backoff (default 1 s). */
  maxReconnectDelayMs?: number;
  /** Shown in logs and CLIENT LIST, e.g. 'sessions', 'coord-sub'. */
  connectionName?: string;
}

export type RedisTarget =
  | { mode: 'standalone'; host: string; port: number; db: number; tls: boolean; username?: string; password?: string }
  | { mode: 'sentinel'; sentinels: Array<{ host: string; port: number }>; masterName: string; db: number; tls: boolean;
      username?: string; password?: string; sentinelPassword?: string }
  | { mode: 'cluster'; nodes: Array<{ host: string; port: number }>; tls: boolean; username?: string; password?: string };

const DEFAULTS = { commandTimeoutMs: 2_000, connectTimeoutMs: 2_000, maxReconnectDelayMs: 1_000 };

/** Parse a REDIS_URL. Throws GatewayError('SG_REDIS_URL_INVALID') naming what is wrong (never the password). */
export function parseRedisUrl(url: string): RedisTarget {
  const m = /^([a-z-]+):\/\/(?:([^@/]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/i.exec(url.trim());
  if (!m) throw invalid('not of the form scheme://[user:pass@]host:port[/…]');
  const scheme = m[1]!.toLowerCase();
  const tls = scheme.startsWith('rediss');
  const { username, password } = credentialsOf(m[2]);
  const defaultPort = scheme.endsWith('-sentinel') ? 26379 : 6379;
  const hosts = (m[3] ?? '').split(',').filter(Boolean).map((h) => hostPortOf(h, defaultPort));
  const path = (m[4] ?? '').split('/').filter(Boolean).map(decodeURIComponent);
  const query = new URLSearchParams(m[5] ?? '');
  if (hosts.length === 0) throw invalid('no host');
  const auth = { ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) };
  switch (scheme) {
    case 'redis':
    case 'rediss': {
      if (hosts.length > 1) throw invalid(`${scheme}:// takes one host (use redis-sentinel:// or redis-cluster:// for several)`);
      return { mode: 'standalone', ...hosts[0]!, db: dbOf(path[0]), tls, ...auth };
    }
    case 'redis-sentinel':
    case 'rediss-sentinel': {
      const masterName = path[0];
      if (!masterName) throw invalid('redis-sentinel:// needs the master name: redis-sentinel://h1:26379,h2:26379/MASTERNAME');
      const sentinelPassword = query.get('sentinelPassword');
      return { mode: 'sentinel', sentinels: hosts, masterName, db: dbOf(path[1]), tls, ...auth, ...(sentinelPassword !== null ? { sentinelPassword } : {}) };
    }
    case 'redis-cluster':
    case 'rediss-cluster': {
      if (path.length > 0) throw invalid('a Redis Cluster has no database number');
      return { mode: 'cluster', nodes: hosts, tls, ...auth };
    }
    default:
      throw invalid(`unknown scheme ${scheme}://`);
  }
}

/** The URL with its password replaced, for log lines and error messages. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^([a-z-]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}

const targets = new WeakMap<RedisClient, { url: string; options: RedisConnectionOptions }>();

/**
 * A client for the URL. It connects in the background; with no offline queue, commands sent before it is ready fail
 * at once — await waitUntilReady() (or use createSessionStore(), which does) before relying on it.
 */
export function createRedisClient(url: string, log?: Logger, options: RedisConnectionOptions = {}): RedisClient {
  const target = parseRedisUrl(url);
  const o = { ...DEFAULTS, ...options, log: options.log ?? log };
  const backoff = (attempt: number): number => Math.min(o.maxReconnectDelayMs, 50 * 2 ** Math.min(attempt, 10));
  const common: RedisOptions = {
    enableOfflineQueue: false,
    // Commands issued in the same tick (many concurrent requests) go out in one write: fewer syscalls on both sides.
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    commandTimeout: o.commandTimeoutMs,
    connectTimeout: o.connectTimeoutMs,
    retryStrategy: backoff,
    // After a Sentinel failover the old master turns replica: reconnect so we follow the new one.
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
    ...(o.connectionName !== undefined ? { connectionName: o.connectionName } : {}),
    ...(target.username !== undefined ? { username: target.username } : {}),
    ...(target.password !== undefined ? { password: target.password } : {}),
  };
  let client: RedisClient;
  if (target.mode === 'cluster') {
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      maxRedirections: 4,
      clusterRetryStrategy: backoff,
      // A killed master's connection keeps reconnecting (and failing fast, no offline queue), so no command for its
      // slots ever reaches a node that would answer MOVED: only a refresh of the slot map finds the promoted replica.
      slotsRefreshInterval: 1_000,
      slotsRefreshTimeout: o.connectTimeoutMs,
      redisOptions: { ...common, ...(target.tls ? { tls: {} } : {}) },
    };
    client = new Cluster(target.nodes, clusterOptions);
  } else if (target.mode === 'sentinel') {
    client = new Redis({
      ...common,
      sentinels: target.sentinels,
      name: target.masterName,
      db: target.db,
      sentinelRetryStrategy: backoff,
      // Subscribe to the sentinels' +switch-master and reconnect at once, instead of writing on to a master that
      // is being demoted until it answers READONLY (ioredis checks the role of the node it reconnects to).
      failoverDetector: true,
      ...(target.sentinelPassword !== undefined ? { sentinelPassword: target.sentinelPassword } : {}),
      ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    });
  } else {
    client = new Redis({
      ...common,
      host: target.host,
      port: target.port,
      db: target.db,
      ...(target.tls ? { tls: { servername: target.host } } : {}),
    });
  }
  targets.set(client, { url, options: o });
  watchConnection(client, redactRedisUrl(url), o.log, o.connectionName);
  return client;
}

/**
 * A second, independent connection to the same Redis with the same settings — for pub/sub subscribers (a connection
 * in subscriber mode can run nothing else) and admin-state coordination. Await waitUntilReady() before use.
 */
export function duplicateRedisClient(client: RedisClient, overrides: RedisConnectionOptions = {}): RedisClient {
  const target = targets.get(client);
  if (!target) throw new Error('duplicateRedisClient: the client was not made by createRedisClient');
  return createRedisClient(target.url, undefined, { ...target.options, ...overrides });
}

/** The sentinels and master name of a client made for a redis-sentinel:// URL; null for any other client. */
export function sentinelTargetOf(client: RedisClient): Extract<RedisTarget, { mode: 'sentinel' }> | null {
  const target = targets.get(client);
  if (!target) return null;
  const parsed = parseRedisUrl(target.url);
  return parsed.mode === 'sentinel' ? parsed : null;
}

/** Resolves when the client is ready; rejects with StoreUnavailableError (and leaves the client reconnecting) after `timeoutMs`. */
export function waitUntilReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError: unknown;
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const onError = (err: unknown): void => {
      lastError = err;
    };
    const onEnd = (): void => {
      cleanup();
      reject(new StoreUnavailableError('the Redis connection was closed before it became ready', { cause: lastError }));
    };
    const timer = setTimeout(() => {
      cleanup();
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      reject(new StoreUnavailableError(`Redis did not become ready within ${timeoutMs} ms${why}`, { cause: lastError }));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      client.off('end', onEnd);
    };
    client.on('ready', onReady);
    client.on('error', onError);
    client.on('end', onEnd);
  });
}

/** Create a client and wait until it is ready; on failure the client is closed and a StoreUnavailableError thrown. */
export async function connectRedis(url: string, options: RedisConnectionOptions & { readyTimeoutMs?: number } = {}): Promise<RedisClient> {
  const client = createRedisClient(url, options.log, options);
  try {
    await waitUntilReady(client, options.readyTimeoutMs ?? 5_000);
    return client;
  } catch (err) {
    client.disconnect();
    throw new StoreUnavailableError(`cannot connect to Redis at ${redactRedisUrl(url)}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * QUIT (replies in flight are read first), then disconnect: with a Sentinel URL the client also holds subscriptions
 * to every sentinel (+switch-master), which only disconnect() closes — after a bare QUIT they would keep
 * reconnecting and keep the process alive.
 */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  try {
    await client.quit();
  } catch {
    // Already disconnected (e.g. Redis is down): nothing left to close gracefully.
  }
  client.disconnect();
}

/** The admin-state (coordination) prefix: `sg:v1:`, or `{sg}:v1:` on a Cluster so its scripts' keys share a slot
 * (a handful of keys; sessions have their own bucketed layout, redis-keys.ts). */
export function keyPrefixFor(client: RedisClient): string {
  return isCluster(client) ? '{sg}:v1:' : 'sg:v1:';
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/** Any Redis failure as the error the gateway answers 503 for; GatewayErrors pass through unchanged. */
export function toStoreUnavailable(err: unknown, operation: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new StoreUnavailableError(`session store ${operation} failed: ${message}`, { cause: err });
}

/** Log each change of connection state once (not every reconnect attempt), and never crash on an 'error' event. */
function watchConnection(client: RedisClient, where: string, log: Logger | undefined, name: string | undefined): void {
  let down = false;
  client.on('error', (err: Error) => {
    if (down) return;
    down = true;
    log?.warn({ redis: where, connection: name, err: err.message }, 'Redis unavailable; reconnecting in the background');
  });
  client.on('ready', () => {
    if (down) log?.info({ redis: where, connection: name }, 'Redis connection restored');
    down = false;
  });
}

function invalid(why: string): GatewayError {
  return new GatewayError('SG_REDIS_URL_INVALID', `REDIS_URL: ${why}`);
}

function credentialsOf(userinfo: string | undefined): { username?: string; password?: string } {
  if (userinfo === undefined || userinfo === '') return {};
  const colon = userinfo.indexOf(':');
  if (colon < 0) return { password: decodeURIComponent(userinfo) }; // redis://secret@host, as ioredis reads it
  const username = decodeURIComponent(userinfo.slice(0, colon));
  const password = decodeURIComponent(userinfo.slice(colon + 1));
  return { ...(username !== '' ? { username } : {}), password };
}

function hostPortOf(text: string, defaultPort: number): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/.exec(text);
  if (!m) throw invalid(`bad host:port "${text}"`);
  const port = m[3] !== undefined ? Number(m[3]) : defaultPort;
  if (port < 1 || port > 65535) throw invalid(`bad port in "${text}"`);
  return { host: m[1] ?? m[2]!, port };
}

function dbOf(text: string | undefined): number {
  if (text === undefined || text === '') return 0;
  if (!/^\d+$/.test(text)) throw invalid(`database "${text}" is not a number`);
  return Number(text);
}
