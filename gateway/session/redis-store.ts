import { StoreUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import { bucketOfKey, bucketOfPrincipal } from './key-placement.js';
import { defineSessionCommands, type SessionCommands } from './redis-commands.js';
import { toStoreUnavailable, type RedisClient } from './redis-connection.js';
import { allBuckets, bucketPrefix, SWEEP_LOCK_KEY } from './redis-keys.js';
import { moveLogin, settleMove, type MoveContext } from './redis-login-move.js';
import { addCounters, commitResultOf, noCounters, servableAsRead, splitHash, splitRecord, storedSessionOf } from './redis-replies.js';
import { writeExactlyOnce, type Reply } from './redis-write.js';
import { assertAttributeFields } from './store-rules.js';
import {
  SIZE_BUCKETS, type CommitRequest, type CommitResult, type ExpiredSession, type LoadOptions, type LoadResult, type SessionStats,
  type SessionStore, type SessionSummary, type SweepOptions, type SweepResult,
} from './store.js';

/**
 * Sessions in Redis (standalone, Sentinel or Cluster), in the bucketed layout of redis-keys.ts. Each operation on one
 * session is one Lua script in its bucket: one round trip, atomic, with the gateway's `now` passed in. Commits are
 * exactly-once (redis-write.ts); a login that moves a session to its principal's bucket is three of them
 * (redis-login-move.ts). Sweep and stats go bucket by bucket. Failures surface as StoreUnavailableError (503),
 * StoreTimeoutError (504, outcome not known) or StoreFullError (503, maxmemory).
 */

export interface RedisSessionStoreOptions {
  /** Close the client on close() (default true: the store owns the connection it was given). */
  ownsClient?: boolean;
  log?: Logger;
  /** How long a commit whose reply was lost is fenced before the gateway says "not known" (default 10 s). */
  outcomeTimeoutMs?: number;
}

/** Following aliases (login grace) and relocations at most this many times per operation. */
const MAX_HOPS = 6;
const DEFAULT_OUTCOME_TIMEOUT_MS = 10_000;

const sessionKey = (bucket: number, key: string): string => `${bucketPrefix(bucket)}s:${key}`;

export class RedisSessionStore implements SessionStore {
  readonly kind = 'redis' as const;
  readonly #client: RedisClient;
  readonly #commands: SessionCommands;
  readonly #ownsClient: boolean;
  readonly #log: Logger | undefined;
  readonly #outcomeTimeoutMs: number;
  readonly #moves: MoveContext;

  constructor(client: RedisClient, options: RedisSessionStoreOptions = {}) {
    this.#client = client;
    this.#ownsClient = options.ownsClient ?? true;
    this.#log = options.log;
    this.#outcomeTimeoutMs = options.outcomeTimeoutMs ?? DEFAULT_OUTCOME_TIMEOUT_MS;
    this.#commands = defineSessionCommands(client);
    this.#moves = {
      commands: this.#commands,
      client,
      write: (bucket, token, operation, send) => this.#write(bucket, token, operation, send),
      principal: (principal) => ({ stored: principal, id: this.#principalId(principal) }),
      log: this.#log,
    };
  }

  /** The connection (for duplicateRedisClient() in modules that need their own, e.g. pub/sub). */
  get client(): RedisClient {
    return this.#client;
  }

  placementOf(principal: string): number {
    return bucketOfPrincipal(this.#principalId(principal));
  }

  #principalId(principal: string): string {
    return principal;
  }

  #write(bucket: number, token: string, operation: string, send: () => Promise<Reply>): Promise<Reply> {
    const fence = (): Promise<Reply> => this.#commands.sgResolve(`${bucketPrefix(bucket)}i:${token}`);
    return writeExactlyOnce(send, fence, { outcomeTimeoutMs: this.#outcomeTimeoutMs, log: this.#log, operation });
  }

  /**
   * A plain HGETALL first: a live session that needs no touch is served from it (one round trip, no script). A miss,
   * an expiry or a due touch runs LOAD_SESSION, which decides atomically (docs/architecture.md §13, "Reads").
   */
  async load(key: string, options: LoadOptions): Promise<LoadResult> {
    let at = key;
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      const bucket = bucketOfKey(at);
      let reply: Reply;
      try {
        const { meta, fields } = splitRecord(await this.#client.hgetall(sessionKey(bucket, at)));
        if (servableAsRead(meta, options)) return { found: true, session: storedSessionOf(at, meta, fields, meta.get('#p') ?? null) };
        reply = await this.#commands.sgLoad(sessionKey(bucket, at), bucketPrefix(bucket),
          String(options.now), String(options.idleTimeoutMs), String(options.absoluteTimeoutMs), String(options.touchAfterMs), at);
      } catch (err) {
        throw toStoreUnavailable(err, 'load');
      }
      switch (reply[0]) {
        case 'alias':
          at = reply[1] as string;
          continue;
        case 'none':
          return { found: false, expired: null };
        case 'evicted':
          return { found: false, expired: null, evicted: true };
        case 'expired':
          return { found: false, expired: reply[1] === 'idle' ? 'idle' : 'absolute' };
        default: {
          const { meta, fields } = splitHash(reply, 1);
          return { found: true, session: storedSessionOf(at, meta, fields, meta.get('#p') ?? null) };
        }
      }
    }
    return { found: false, expired: null };
  }

  async commit(request: CommitRequest): Promise<CommitResult> {
    assertAttributeFields(request.ops);
    if (request.key === null && request.newKey === null) throw new Error('commit: newKey is required to create a session');
    const started = Date.now();
    let key = request.key;
    for (let hop = 0; hop < MAX_HOPS; ) {
      const attempt = { ...request, key };
      const moves = request.login !== null && key !== null && request.newKey !== null && bucketOfKey(key) !== bucketOfKey(request.newKey);
      const reply = moves ? await moveLogin(this.#moves, attempt as typeof attempt & { key: string; newKey: string }) : await this.#commitInBucket(attempt);
      switch (reply[0]) {
        case 'alias':
          key = reply[1] as string;
          hop++;
          break;
        case 'gone':
          key = null;
          hop++;
          break;
        case 'moving':
          if (Date.now() - started > this.#outcomeTimeoutMs) throw new StoreUnavailableError('session store commit failed: the session stayed frozen by a login that did not finish');
          await settleMove(this.#moves, key!, reply[1] as string, request.now);
          break;
        default:
          return commitResultOf(reply, (stored) => stored);
      }
    }
    throw new StoreUnavailableError('session store commit failed: too many redirections (aliases of aliases)');
  }

  #commitInBucket(request: CommitRequest): Promise<Reply> {
    const routing = (request.key ?? request.newKey)!;
    const bucket = bucketOfKey(routing);
    const { ops, login } = request;
    const principal = login ? this.#moves.principal(login.principal, '') : null;
    const args: string[] = [
      bucketPrefix(bucket), String(request.now), String(request.idleTimeoutMs), String(request.absoluteTimeoutMs), String(request.maxBytes),
      request.key ?? '', request.newKey ?? '', request.newKey !== null && bucketOfKey(request.newKey) === bucket ? '1' : '0',
      request.newHandle, request.backend ?? '',
      login ? '1' : '0', principal?.stored ?? '', principal?.id ?? '', String(login?.maxPerPrincipal ?? 0), login?.onLimit ?? 'evict-oldest',
      request.logout ? '1' : '0', request.token, String(login?.graceMs ?? 0),
      String(ops.unset.length), String(ops.set.size), String(ops.incr.size), '0',
      ...ops.unset,
    ];
    for (const [field, json] of ops.set) args.push(field, json);
    for (const [field, delta] of ops.incr) args.push(field, String(delta));
    return this.#write(bucket, request.token, 'commit', () => this.#commands.sgCommit(sessionKey(bucket, routing), ...args));
  }

  async destroyByHandle(handle: string): Promise<boolean> {
    try {
      const found = await Promise.all(allBuckets().map((b) => this.#client.hget(`${bucketPrefix(b)}k`, handle)));
      for (const [bucket, key] of found.entries()) {
        if (key !== null && (await this.#commands.sgDestroyByHandle(`${bucketPrefix(bucket)}k`, bucketPrefix(bucket), handle)) === 1) return true;
      }
      return false;
    } catch (err) {
      throw toStoreUnavailable(err, 'destroy');
    }
  }

  async listByPrincipal(principal: string, now: number): Promise<SessionSummary[]> {
    const id = this.#principalId(principal);
    const bucket = bucketOfPrincipal(id);
    let reply: Reply[];
    try {
      reply = await this.#commands.sgListByPrincipal(`${bucketPrefix(bucket)}p:${id}`, bucketPrefix(bucket), id, String(now));
    } catch (err) {
      throw toStoreUnavailable(err, 'list');
    }
    return (reply as string[][]).map(([handle, createdAt, lastAccessAt, size, backend, hasBackend]) => ({
      handle: handle ?? '',
      principal,
      createdAt: Number(createdAt),
      lastAccessAt: Number(lastAccessAt),
      size: Number(size),
      backend: hasBackend === '1' ? backend ?? '' : null,
    }));
  }

  async destroyByPrincipal(principal: string, now: number): Promise<string[]> {
    const id = this.#principalId(principal);
    const bucket = bucketOfPrincipal(id);
    try {
      return await this.#commands.sgDestroyByPrincipal(`${bucketPrefix(bucket)}p:${id}`, bucketPrefix(bucket), id, String(now));
    } catch (err) {
      throw toStoreUnavailable(err, 'destroy');
    }
  }

  /** Under the one sweep lock, every bucket at once (pipelined); `batch` bounds each bucket's script. */
  async sweepExpired(now: number, options: SweepOptions): Promise<SweepResult> {
    let replies: Reply[];
    try {
      if ((await this.#commands.sgTakeSweepLock(SWEEP_LOCK_KEY, options.owner, String(options.lockMs))) !== 1) return { swept: false };
      replies = await Promise.all(allBuckets().map((b) => this.#commands.sgSweepBucket(`${bucketPrefix(b)}x`, bucketPrefix(b), String(now), String(options.batch))));
    } catch (err) {
      throw toStoreUnavailable(err, 'sweep');
    }
    const expired: ExpiredSession[] = [];
    let more = false;
    for (const reply of replies) {
      more ||= reply[0] === '1';
      for (let i = 1; i + 2 < reply.length; i += 3) {
        expired.push({ handle: reply[i] as string, principal: reply[i + 1] === '' ? null : (reply[i + 1] as string), reason: reply[i + 2] === 'absolute' ? 'absolute' : 'idle' });
      }
    }
    return { swept: true, expired, more };
  }

  async stats(now: number): Promise<SessionStats> {
    const bounds = [...SIZE_BUCKETS.map(String), '+inf'];
    let replies: Array<[Reply, number, number, number[]]>;
    try {
      replies = await Promise.all(allBuckets().map((b) => {
        const p = bucketPrefix(b);
        return this.#commands.sgBucketStats(`${p}c`, `${p}x`, `${p}z`, String(now), ...bounds);
      }));
    } catch (err) {
      throw toStoreUnavailable(err, 'stats');
    }
    const counters = noCounters();
    let active = 0;
    let pendingExpiry = 0;
    const sizes = bounds.map(() => 0);
    for (const [flat, live, pending, bucketSizes] of replies) {
      addCounters(counters, flat);
      active += Number(live);
      pendingExpiry += Number(pending);
      bucketSizes.forEach((n, i) => (sizes[i]! += Number(n)));
    }
    return { active, pendingExpiry, counters, sizeBuckets: sizes.map((count, i) => ({ le: SIZE_BUCKETS[i] ?? null, count })) };
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
