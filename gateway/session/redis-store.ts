import { COMMIT_SESSION, COUNTER_FIELDS, DESTROY_BY_HANDLE, DESTROY_BY_PRINCIPAL, LIST_BY_PRINCIPAL, LOAD_SESSION, SESSION_STATS, SWEEP_EXPIRED } from './redis-scripts.js';
import { keyPrefixFor, toStoreUnavailable, type RedisClient } from './redis-connection.js';
import { META_PREFIX, assertAttributeFields } from './store-rules.js';
import {
  encodedSize, NO_COUNTERS, SIZE_BUCKETS, type CommitRequest, type CommitResult, type ExpiredSession, type LoadOptions, type LoadResult,
  type SessionCounters, type SessionStats, type SessionStore, type SessionSummary, type SweepOptions, type SweepResult,
} from './store.js';

/**
 * Sessions in Redis (standalone, Sentinel or Cluster). Every operation is one Lua script (redis-scripts.ts): one
 * round trip, atomic, with the gateway's `now` passed in. Failures surface as StoreUnavailableError (503).
 */

type Reply = string[];

/** The commands defineCommand adds (ioredis types them only at run time). */
interface SessionScripts {
  sgLoadSession(sessionKey: string, tombstoneKey: string, ...args: string[]): Promise<Reply>;
  sgCommitSession(sessionKey: string, ...args: string[]): Promise<Reply>;
  sgDestroyByHandle(handleKey: string, prefix: string): Promise<number>;
  sgListByPrincipal(principalKey: string, ...args: string[]): Promise<Reply[]>;
  sgDestroyByPrincipal(principalKey: string, ...args: string[]): Promise<Reply>;
  sgSweepExpired(deadlinesKey: string, lockKey: string, ...args: string[]): Promise<Reply>;
  sgSessionStats(countersKey: string, deadlinesKey: string, sizesKey: string, ...args: string[]): Promise<[Reply, number, number, number[]]>;
}

/** `expired_idle` → `expiredIdle` */
const counterName = (field: string): keyof SessionCounters => field.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof SessionCounters;

export interface RedisSessionStoreOptions {
  /** Close the client on close() (default true: the store owns the connection it was given). */
  ownsClient?: boolean;
}

export class RedisSessionStore implements SessionStore {
  readonly kind = 'redis' as const;
  readonly #client: RedisClient;
  readonly #scripts: SessionScripts;
  readonly #prefix: string;
  readonly #ownsClient: boolean;

  constructor(client: RedisClient, options: RedisSessionStoreOptions = {}) {
    this.#client = client;
    this.#prefix = keyPrefixFor(client);
    this.#ownsClient = options.ownsClient ?? true;
    client.defineCommand('sgLoadSession', { numberOfKeys: 2, lua: LOAD_SESSION });
    client.defineCommand('sgCommitSession', { numberOfKeys: 1, lua: COMMIT_SESSION });
    client.defineCommand('sgDestroyByHandle', { numberOfKeys: 1, lua: DESTROY_BY_HANDLE });
    client.defineCommand('sgListByPrincipal', { numberOfKeys: 1, lua: LIST_BY_PRINCIPAL });
    client.defineCommand('sgDestroyByPrincipal', { numberOfKeys: 1, lua: DESTROY_BY_PRINCIPAL });
    client.defineCommand('sgSweepExpired', { numberOfKeys: 2, lua: SWEEP_EXPIRED });
    client.defineCommand('sgSessionStats', { numberOfKeys: 3, lua: SESSION_STATS });
    this.#scripts = client as unknown as SessionScripts;
  }

  /** The connection (for duplicateRedisClient() in modules that need their own, e.g. pub/sub). */
  get client(): RedisClient {
    return this.#client;
  }

  /** The key prefix in use: `sg:v1:`, or `{sg}:v1:` on a Cluster. */
  get keyPrefix(): string {
    return this.#prefix;
  }

  async load(key: string, options: LoadOptions): Promise<LoadResult> {
    const p = this.#prefix;
    let reply: Reply;
    try {
      reply = await this.#scripts.sgLoadSession(`${p}s:${key}`, `${p}e:${key}`, p,
        String(options.now), String(options.idleTimeoutMs), String(options.absoluteTimeoutMs), String(options.touchAfterMs), key);
    } catch (err) {
      throw toStoreUnavailable(err, 'load');
    }
    switch (reply[0]) {
      case 'none':
        return { found: false, expired: null };
      case 'evicted':
        return { found: false, expired: null, evicted: true };
      case 'expired':
        return { found: false, expired: reply[1] === 'idle' ? 'idle' : 'absolute' };
      default:
        break;
    }
    const fields = new Map<string, string>();
    const meta = new Map<string, string>();
    for (let i = 1; i + 1 < reply.length; i += 2) {
      const field = reply[i]!;
      (field.startsWith(META_PREFIX) ? meta : fields).set(field, reply[i + 1]!);
    }
    return {
      found: true,
      session: {
        key,
        handle: meta.get('#h') ?? '',
        principal: meta.get('#p') ?? null,
        createdAt: Number(meta.get('#c') ?? 0),
        lastAccessAt: Number(meta.get('#a') ?? 0),
        status: null,
        fields,
        size: encodedSize(fields),
      },
    };
  }

  async commit(request: CommitRequest): Promise<CommitResult> {
    assertAttributeFields(request.ops);
    const routingKey = request.key ?? request.newKey;
    if (routingKey === null) throw new Error('commit: newKey is required to create a session');
    const { ops, login } = request;
    const args: string[] = [
      this.#prefix, String(request.now), String(request.idleTimeoutMs), String(request.absoluteTimeoutMs), String(request.maxBytes),
      request.key ?? '', request.newKey ?? '', request.newHandle, request.backend ?? '',
      login ? '1' : '0', login?.principal ?? '', String(login?.maxPerPrincipal ?? 0), login?.onLimit ?? 'evict-oldest',
      request.logout ? '1' : '0', String(ops.unset.length), String(ops.set.size), String(ops.incr.size),
      ...ops.unset,
    ];
    for (const [field, json] of ops.set) args.push(field, json);
    for (const [field, delta] of ops.incr) args.push(field, String(delta));
    let reply: Reply;
    try {
      reply = await this.#scripts.sgCommitSession(`${this.#prefix}s:${routingKey}`, ...args);
    } catch (err) {
      throw toStoreUnavailable(err, 'commit');
    }
    if (reply[0] === 'err') {
      const detail = reply[2] ?? '';
      switch (reply[1]) {
        case 'SG_WRITEBACK_TOO_LARGE':
          return { ok: false, code: 'SG_WRITEBACK_TOO_LARGE', size: Number(detail) };
        case 'SG_WRITEBACK_NOT_NUMBER':
          return { ok: false, code: 'SG_WRITEBACK_NOT_NUMBER', field: detail };
        case 'SG_LOGIN_REJECTED':
          return { ok: false, code: 'SG_LOGIN_REJECTED', live: Number(detail) };
        default:
          throw toStoreUnavailable(new Error(`unexpected script reply ${String(reply[1])}`), 'commit');
      }
    }
    const [, key, handle, hasPrincipal, principal, created, destroyed, size, duplicate, ...evicted] = reply;
    return {
      ok: true,
      key: key ?? '',
      handle: handle ?? '',
      principal: hasPrincipal === '1' ? principal ?? '' : null,
      created: created === '1',
      destroyed: destroyed === '1',
      size: Number(size),
      evicted,
      duplicateLogin: duplicate === '1',
    };
  }

  async destroyByHandle(handle: string): Promise<boolean> {
    try {
      return (await this.#scripts.sgDestroyByHandle(`${this.#prefix}h:${handle}`, this.#prefix)) === 1;
    } catch (err) {
      throw toStoreUnavailable(err, 'destroy');
    }
  }

  async listByPrincipal(principal: string, now: number): Promise<SessionSummary[]> {
    let reply: Reply[];
    try {
      reply = await this.#scripts.sgListByPrincipal(`${this.#prefix}p:${principal}`, this.#prefix, principal, String(now));
    } catch (err) {
      throw toStoreUnavailable(err, 'list');
    }
    return reply.map(([handle, createdAt, lastAccessAt, size, backend, hasBackend]) => ({
      handle: handle ?? '',
      principal,
      createdAt: Number(createdAt),
      lastAccessAt: Number(lastAccessAt),
      size: Number(size),
      backend: hasBackend === '1' ? backend ?? '' : null,
    }));
  }

  async destroyByPrincipal(principal: string, now: number): Promise<string[]> {
    try {
      return await this.#scripts.sgDestroyByPrincipal(`${this.#prefix}p:${principal}`, this.#prefix, principal, String(now));
    } catch (err) {
      throw toStoreUnavailable(err, 'destroy');
    }
  }

  async sweepExpired(now: number, options: SweepOptions): Promise<SweepResult> {
    const p = this.#prefix;
    let reply: Reply;
    try {
      reply = await this.#scripts.sgSweepExpired(`${p}x:deadlines`, `${p}l:sweep`, p, String(now), String(options.batch), String(options.lockMs), options.owner);
    } catch (err) {
      throw toStoreUnavailable(err, 'sweep');
    }
    if (reply[0] !== 'ok') return { swept: false };
    const expired: ExpiredSession[] = [];
    for (let i = 2; i + 2 < reply.length; i += 3) {
      expired.push({ handle: reply[i]!, principal: reply[i + 1] === '' ? null : reply[i + 1]!, reason: reply[i + 2] === 'absolute' ? 'absolute' : 'idle' });
    }
    return { swept: true, expired, more: reply[1] === '1' };
  }

  async stats(now: number): Promise<SessionStats> {
    const p = this.#prefix;
    let reply: [Reply, number, number, number[]];
    try {
      reply = await this.#scripts.sgSessionStats(`${p}c:counters`, `${p}x:deadlines`, `${p}z:sizes`, String(now), ...SIZE_BUCKETS.map(String), '+inf');
    } catch (err) {
      throw toStoreUnavailable(err, 'stats');
    }
    const [flat, active, pendingExpiry, buckets] = reply;
    const counters: SessionCounters = { ...NO_COUNTERS };
    for (let i = 0; i + 1 < flat.length; i += 2) {
      if ((COUNTER_FIELDS as readonly string[]).includes(flat[i]!)) counters[counterName(flat[i]!)] = Number(flat[i + 1]);
    }
    return {
      active: Number(active),
      pendingExpiry: Number(pendingExpiry),
      counters,
      sizeBuckets: buckets.map((count, i) => ({ le: SIZE_BUCKETS[i] ?? null, count: Number(count) })),
    };
  }

  async ping(): Promise<void> {
    try {
      await this.#client.ping();
    } catch (err) {
      throw toStoreUnavailable(err, 'ping');
    }
  }

  async close(): Promise<void> {
    if (!this.#ownsClient) return;
    try {
      await this.#client.quit();
    } catch {
      // Already disconnected (e.g. Redis is down): nothing left to close gracefully.
      this.#client.disconnect();
    }
  }
}
