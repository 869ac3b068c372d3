import { StoreUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import { bucketOfKey, bucketOfPrincipal } from './key-placement.js';
import { defineSessionCommands, type SessionCommands } from './redis-commands.js';
import { closeRedisClient, toStoreUnavailable, type RedisClient } from './redis-connection.js';
import { HashReads } from './redis-hash-reads.js';
import { bucketStats, sweepBuckets, type ScanContext } from './redis-bucket-scans.js';
import { allBuckets, bucketPrefix } from './redis-keys.js';
import { moveLogin, settleMove, type MoveContext } from './redis-login-move.js';
import { commitResultOf, servableAsRead, splitHash, storedSessionOf } from './redis-replies.js';
import { ReplicatedWrites } from './redis-replication.js';
import { writeExactlyOnce, type Reply } from './redis-write.js';
import { PRINCIPAL_FIELD, type StoreCipher } from './store-cipher.js';
import { CLEAR, fieldsToRead, sealingCodec, sealOps, StaleValues, type Cas, type ValueCodec } from './store-cipher-codec.js';
import { assertAttributeFields } from './store-rules.js';
import {
  SIZE_BUCKETS, type AttributeOps, type CommitRequest, type CommitResult, type ExpiredSession, type LoadOptions, type LoadResult, type SessionStats,
  type SessionStore, type SessionSummary, type StoredSession, type SweepOptions, type SweepResult,
} from './store.js';

/**
 * Sessions in Redis (standalone, Sentinel or Cluster), in the bucketed layout of redis-keys.ts. Each operation on one
 * session is one Lua script in its bucket: one round trip, atomic, with the gateway's `now` passed in. Commits are
 * exactly-once (redis-write.ts); a login that moves a session to its principal's bucket is three of them
 * (redis-login-move.ts). Sweep and stats read many buckets per script (redis-bucket-scans.ts). Failures surface as StoreUnavailableError (503),
 * StoreTimeoutError (504, outcome not known) or StoreFullError (503, maxmemory).
 */

export interface RedisSessionStoreOptions {
  /** Close the client on close() (default true: the store owns the connection it was given). */
  ownsClient?: boolean;
  log?: Logger;
  /** How long a commit whose reply was lost is fenced before the gateway says "not known" (default 10 s). */
  outcomeTimeoutMs?: number;
  /** Encryption at rest (SESSION_STORE_KEY, store-cipher-keyring.ts openStoreCipher); absent: values in clear. */
  cipher?: StoreCipher;
}

/** Following aliases (login grace) and relocations at most this many times per operation. */
const MAX_HOPS = 6;
/** A sealed incr retried this often at most when concurrent writes keep changing the value it read. */
const MAX_CAS_ATTEMPTS = 200;
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
  readonly #cipher: StoreCipher | null;
  readonly #codec: ValueCodec;
  readonly #stale = new StaleValues();
  readonly #replicated: ReplicatedWrites;
  readonly #scans: ScanContext;
  readonly #reads: HashReads;

  constructor(client: RedisClient, options: RedisSessionStoreOptions = {}) {
    this.#client = client;
    this.#ownsClient = options.ownsClient ?? true;
    this.#log = options.log;
    this.#outcomeTimeoutMs = options.outcomeTimeoutMs ?? DEFAULT_OUTCOME_TIMEOUT_MS;
    this.#commands = defineSessionCommands(client);
    this.#reads = new HashReads(client);
    this.#cipher = options.cipher ?? null;
    this.#codec = this.#cipher ? sealingCodec(this.#cipher) : CLEAR;
    this.#replicated = new ReplicatedWrites(client, this.#log);
    this.#scans = { client, commands: this.#commands, peekPrincipal: (stored) => this.#codec.peekPrincipal(stored) };
    this.#moves = {
      commands: this.#commands,
      client,
      write: (bucket, token, operation, send) => this.#write(bucket, token, operation, send),
      principal: (principal) => this.#codec.principal(principal),
      codec: this.#codec,
      log: this.#log,
      replicated: this.#replicated,
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
    return this.#codec.principal(principal).id;
  }

  /** A found session in clear; values sealed under an older key (or in clear) are noted for the next commit. */
  #sessionOf(key: string, meta: Map<string, string>, fields: Map<string, string>): StoredSession {
    const stored = meta.get(PRINCIPAL_FIELD);
    const stale = this.#codec.stale(fields, stored);
    if (stale) this.#stale.note(key, stale);
    return storedSessionOf(key, meta, this.#codec.open(fields), stored === undefined ? null : this.#codec.openPrincipal(stored));
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
        const { meta, fields } = await this.#reads.hgetall(sessionKey(bucket, at));
        if (servableAsRead(meta, options)) return { found: true, session: this.#sessionOf(at, meta, fields) };
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
          return { found: true, session: this.#sessionOf(at, meta, fields) };
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
        default: {
          const result = commitResultOf(reply, (stored) => this.#codec.openPrincipal(stored));
          return result.ok && this.#replicated.wasShort(reply) ? { ...result, unreplicated: true } : result;
        }
      }
    }
    throw new StoreUnavailableError('session store commit failed: too many redirections (aliases of aliases)');
  }

  #commitInBucket(request: CommitRequest): Promise<Reply> {
    const routing = (request.key ?? request.newKey)!;
    const bucket = bucketOfKey(routing);
    if (this.#cipher === null) return this.#sendCommit(request, bucket, routing, request.ops, [], request.token);
    return this.#commitSealed(this.#cipher, request, bucket, routing);
  }

  /**
   * With encryption at rest: `set` sealed, `incr` as compare-and-set over the value read first (one HMGET), values
   * the load found under an older key re-sealed. A conflict (another write changed a value read) returns the current
   * values, and the commit is sent again with them under a derived token (the conflict itself is recorded).
   */
  async #commitSealed(cipher: StoreCipher, request: CommitRequest, bucket: number, routing: string): Promise<Reply> {
    const stale = this.#stale.take(request.key);
    if (request.login) stale.delete(PRINCIPAL_FIELD);
    const current = new Map<string, string | null>();
    const toRead = request.key === null ? [] : fieldsToRead(request.ops);
    if (toRead.length > 0) {
      let values: Array<string | null>;
      try {
        values = await this.#client.hmget(sessionKey(bucket, routing), ...toRead);
      } catch (err) {
        throw toStoreUnavailable(err, 'commit');
      }
      toRead.forEach((field, i) => current.set(field, values[i] ?? null));
    }
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const sealed = sealOps(cipher, request.ops, current, stale);
      if ('notNumber' in sealed) return ['err', 'SG_WRITEBACK_NOT_NUMBER', sealed.notNumber];
      const ops: AttributeOps = { unset: sealed.unset, set: sealed.set, incr: new Map() };
      const reply = await this.#sendCommit(request, bucket, routing, ops, sealed.cas, attempt === 0 ? request.token : `${request.token}.${attempt}`);
      if (reply[0] !== 'conflict') return reply;
      for (let i = 1; i + 1 < reply.length; i += 2) {
        const field = reply[i] as string;
        const now = reply[i + 1] as string;
        stale.delete(field); // rewritten meanwhile: that write sealed it under the current key
        current.set(field, now === 'a' ? null : now.slice(1));
      }
    }
    throw new StoreUnavailableError('session store commit failed: concurrent writes kept changing the values an increment read');
  }

  #sendCommit(request: CommitRequest, bucket: number, routing: string, ops: AttributeOps, cas: readonly Cas[], token: string): Promise<Reply> {
    const { login } = request;
    const principal = login ? this.#moves.principal(login.principal, '') : null;
    const args: string[] = [
      bucketPrefix(bucket), String(request.now), String(request.idleTimeoutMs), String(request.absoluteTimeoutMs), String(request.maxBytes),
      request.key ?? '', request.newKey ?? '', request.newKey !== null && bucketOfKey(request.newKey) === bucket ? '1' : '0',
      request.newHandle, request.backend ?? '',
      login ? '1' : '0', principal?.stored ?? '', principal?.id ?? '', String(login?.maxPerPrincipal ?? 0), login?.onLimit ?? 'evict-oldest',
      request.logout ? '1' : '0', token, String(login?.graceMs ?? 0),
      String(ops.unset.length), String(ops.set.size), String(ops.incr.size), String(cas.length),
      ...ops.unset,
    ];
    for (const [field, json] of ops.set) args.push(field, json);
    for (const [field, delta] of ops.incr) args.push(field, String(delta));
    for (const triple of cas) args.push(...triple);
    const key = sessionKey(bucket, routing);
    const replication = request.replication;
    const send = replication && replication.replicas > 0
      ? () => this.#replicated.write((pipeline) => void pipeline.sgCommit(key, ...args), replication, 'commit')
      : () => this.#commands.sgCommit(key, ...args);
    return this.#write(bucket, token, 'commit', send);
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

  /**
   * The index ids a principal's sessions may be filed under: its id, and with encryption on also its clear name,
   * where sessions that logged in before encryption was turned on stay until they end (force logout must find them).
   */
  #indexIds(principal: string): string[] {
    const id = this.#principalId(principal);
    return id === principal ? [id] : [principal, id];
  }

  async listByPrincipal(principal: string, now: number): Promise<SessionSummary[]> {
    let replies: Reply[][];
    try {
      replies = await Promise.all(this.#indexIds(principal).map((id) => {
        const b = bucketPrefix(bucketOfPrincipal(id));
        return this.#commands.sgListByPrincipal(`${b}p:${id}`, b, id, String(now));
      }));
    } catch (err) {
      throw toStoreUnavailable(err, 'list');
    }
    return (replies.flat() as string[][]).map(([handle, createdAt, lastAccessAt, size, backend, hasBackend]) => ({
      handle: handle ?? '',
      principal,
      createdAt: Number(createdAt),
      lastAccessAt: Number(lastAccessAt),
      size: Number(size),
      backend: hasBackend === '1' ? backend ?? '' : null,
    }));
  }

  /** Every bucket's handle index at once (a handle does not say its bucket); the principal opened as on a load. */
  async findByHandle(handle: string, now: number): Promise<SessionSummary | null> {
    let found: string[][];
    try {
      found = await Promise.all(allBuckets().map((b) => this.#commands.sgFindByHandle(`${bucketPrefix(b)}k`, bucketPrefix(b), handle, String(now))));
    } catch (err) {
      throw toStoreUnavailable(err, 'find');
    }
    const hit = found.find((reply) => reply.length > 0);
    if (!hit) return null;
    const [principal, hasPrincipal, createdAt, lastAccessAt, size, backend, hasBackend] = hit;
    return {
      handle,
      principal: hasPrincipal === '1' ? this.#codec.openPrincipal(principal ?? '') : null,
      createdAt: Number(createdAt),
      lastAccessAt: Number(lastAccessAt),
      size: Number(size),
      backend: hasBackend === '1' ? backend ?? '' : null,
    };
  }

  async destroyByPrincipal(principal: string, now: number): Promise<string[]> {
    try {
      const ended = await Promise.all(this.#indexIds(principal).map((id) => {
        const b = bucketPrefix(bucketOfPrincipal(id));
        return this.#commands.sgDestroyByPrincipal(`${b}p:${id}`, b, id, String(now));
      }));
      return ended.flat();
    } catch (err) {
      throw toStoreUnavailable(err, 'destroy');
    }
  }

  /** Every bucket's work due, under the one sweep lock (redis-bucket-scans.ts). */
  sweepExpired(now: number, options: SweepOptions): Promise<SweepResult> {
    return sweepBuckets(this.#scans, now, options);
  }

  stats(now: number): Promise<SessionStats> {
    return bucketStats(this.#scans, now);
  }

  async ping(): Promise<void> {
    try {
      await this.#client.ping();
    } catch (err) {
      throw toStoreUnavailable(err, 'ping');
    }
  }

  async close(): Promise<void> {
    this.#replicated.close();
    if (!this.#ownsClient) return;
    await closeRedisClient(this.#client);
  }
}
