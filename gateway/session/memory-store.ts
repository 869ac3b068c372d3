import { MARKER_BYTES, MemoryBudget, sessionBytes } from './memory-budget.js';
import { applyAttributeOps, assertAttributeFields, expiryReason, sessionDeadline } from './store-rules.js';
import {
  encodedSize, NO_COUNTERS, SIZE_BUCKETS, type CommitRequest, type CommitResult, type ExpiredSession, type LoadOptions, type LoadResult,
  type SessionCounters, type SessionStats, type SessionStore, type SessionSummary, type SessionTimeouts, type StoredSession, type SweepResult,
} from './store.js';

/**
 * The embedded store a single gateway runs by default (no REDIS_URL): the same semantics as RedisSessionStore, held
 * in Maps. Every method runs to completion without awaiting, so each one is atomic like the Redis Lua scripts.
 * Time comes only from the `now` arguments (injectable clock); the sweep timer alone reads its own clock.
 */

interface MemorySession {
  key: string;
  handle: string;
  principal: string | null;
  createdAt: number;
  lastAccessAt: number;
  /** When the session ends unless touched again (the Redis key TTL's twin); the sweep drops it after that. */
  expiresAt: number;
  /** Which deadline expiresAt is (what the sweep reports as the reason). */
  deadlineKind: 'idle' | 'absolute';
  backend: string | null;
  /** Replaced by a commit, never changed in place: a load hands out this map itself (see snapshot). */
  fields: ReadonlyMap<string, string>;
  /** encodedSize(fields), kept with them: a load reports it without walking the attributes. */
  size: number;
  /** What it holds of the memory budget (memory-budget.ts). */
  bytes: number;
}

export interface MemorySessionStoreOptions {
  /** How often expired sessions and tombstones are dropped. 0 disables the timer (call sweep() yourself). */
  sweepIntervalMs?: number;
  /** Clock of the sweep timer. */
  clock?: () => number;
  /** Heap bytes the sessions may hold (default: half the V8 heap limit); new sessions get SG_STORE_FULL past it. */
  memoryLimitBytes?: number;
}

const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

export class MemorySessionStore implements SessionStore {
  readonly kind = 'memory' as const;
  readonly #sessions = new Map<string, MemorySession>();
  readonly #keyByHandle = new Map<string, string>();
  /** principal → handle → login time (oldest first when sorted by it). */
  readonly #principals = new Map<string, Map<string, number>>();
  /** Storage key of an evicted session → when its tombstone lapses. */
  readonly #tombstones = new Map<string, number>();
  /** The key a login rotated away from → the new key, until the login grace ends (the login race). */
  readonly #aliases = new Map<string, { target: string; until: number }>();
  readonly #clock: () => number;
  /** Event counters of this process (the Redis store keeps them in Redis, global over gateways). */
  readonly #counters: SessionCounters = { ...NO_COUNTERS };
  readonly #budget: MemoryBudget;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#budget = new MemoryBudget(options.memoryLimitBytes);
    const interval = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    if (interval > 0) {
      this.#timer = setInterval(() => this.sweep(this.#clock()), interval);
      // The sweep only frees memory: it must never keep a gateway (or a test) alive.
      this.#timer.unref();
    }
  }

  async load(key: string, options: LoadOptions): Promise<LoadResult> {
    const session = this.#sessions.get(key) ?? this.#throughAlias(key, options.now);
    if (!session) {
      const tombstone = this.#tombstones.get(key);
      if (tombstone === undefined) return { found: false, expired: null };
      this.#dropTombstone(key);
      return tombstone > options.now ? { found: false, expired: null, evicted: true } : { found: false, expired: null };
    }
    const expired = expiryReason(session.createdAt, session.lastAccessAt, options.now, options);
    if (expired) {
      this.#expire(session, expired);
      return { found: false, expired };
    }
    if (options.now - session.lastAccessAt >= options.touchAfterMs) this.#touch(session, options.now, options);
    return { found: true, session: snapshot(session) };
  }

  async commit(request: CommitRequest): Promise<CommitResult> {
    assertAttributeFields(request.ops);
    const now = request.now;
    let session = request.key !== null ? (this.#sessions.get(request.key) ?? this.#throughAlias(request.key, now)) : undefined;
    const reason = session ? expiryReason(session.createdAt, session.lastAccessAt, now, request) : null;
    if (session && reason) {
      this.#expire(session, reason);
      session = undefined;
    }
    if (request.logout) {
      if (!session) return { ok: true, key: request.key ?? request.newKey ?? '', handle: '', principal: null, created: false, destroyed: false, size: 0, evicted: [], duplicateLogin: false };
      this.#destroy(session);
      this.#counters.destroyedLogout++;
      return { ok: true, key: session.key, handle: session.handle, principal: session.principal, created: false, destroyed: true, size: 0, evicted: [], duplicateLogin: false };
    }

    // Work out the whole result before changing anything: a refused commit leaves the store exactly as it was.
    const applied = applyAttributeOps(session?.fields ?? new Map(), request.ops);
    if ('notNumber' in applied) return { ok: false, code: 'SG_WRITEBACK_NOT_NUMBER', field: applied.notNumber };
    const fields = applied.fields;
    const size = encodedSize(fields);
    if (size > request.maxBytes) return { ok: false, code: 'SG_WRITEBACK_TOO_LARGE', size };
    const bytes = sessionBytes(size, fields.size, request.login?.principal ?? session?.principal ?? null);
    if (session ? !this.#budget.admitsGrowth(bytes - session.bytes) : !this.#budget.admitsNew(bytes)) {
      return { ok: false, code: 'SG_STORE_FULL', limit: this.#budget.limit };
    }

    const handle = session?.handle ?? request.newHandle;
    let evictions: MemorySession[] = [];
    // A duplicate login: the principal already has another live session (a re-login of its own session is not one).
    let duplicateLogin = false;
    if (request.login && request.login.maxPerPrincipal > 0) {
      const others = this.#liveOfPrincipal(request.login.principal, now).filter((s) => s.handle !== handle);
      duplicateLogin = others.length > 0 && session?.principal !== request.login.principal;
      const excess = others.length + 1 - request.login.maxPerPrincipal;
      if (excess > 0) {
        if (request.login.onLimit === 'reject-new') {
          this.#counters.loginRejected++;
          if (duplicateLogin) this.#counters.duplicateLogins++;
          return { ok: false, code: 'SG_LOGIN_REJECTED', live: others.length };
        }
        evictions = others.slice(0, excess);
      }
    } else if (request.login && session?.principal !== request.login.principal) {
      // Unlimited: index size only, like the Redis script (no walk of a long index on every login).
      const index = this.#principals.get(request.login.principal);
      duplicateLogin = (index?.size ?? 0) - (index?.has(handle) ? 1 : 0) > 0;
    }

    const created = !session;
    if (!session) {
      if (request.newKey === null) throw new Error('commit: newKey is required to create a session');
      if (request.key !== null) this.#dropTombstone(request.key);
      session = { key: request.newKey, handle, principal: null, createdAt: now, lastAccessAt: now, expiresAt: now, deadlineKind: 'idle', backend: null, fields, size, bytes: 0 };
      this.#sessions.set(session.key, session);
      this.#keyByHandle.set(handle, session.key);
      this.#counters.created++;
    } else {
      session.fields = fields;
      session.size = size;
    }
    if (request.login) {
      // Session-fixation defence: the id the browser held before login no longer opens the session.
      if (!created && request.newKey !== null && request.newKey !== session.key) {
        const graceMs = request.login.graceMs ?? 0;
        if (graceMs > 0) this.#setAlias(session.key, request.newKey, now + graceMs);
        this.#sessions.delete(session.key);
        session.key = request.newKey;
        this.#sessions.set(session.key, session);
        this.#keyByHandle.set(handle, session.key);
      }
      if (session.principal !== null && session.principal !== request.login.principal) this.#unindex(session.principal, handle);
      session.principal = request.login.principal;
      let index = this.#principals.get(session.principal);
      if (!index) this.#principals.set(session.principal, (index = new Map()));
      index.delete(handle); // re-login moves it to the newest position
      index.set(handle, now);
      this.#counters.logins++;
      if (duplicateLogin) this.#counters.duplicateLogins++;
      for (const victim of evictions) {
        this.#destroy(victim);
        this.#counters.destroyedEvicted++;
        this.#setTombstone(victim.key, victim.expiresAt);
      }
    }
    if (request.backend !== null) session.backend = request.backend;
    this.#budget.add(bytes - session.bytes);
    session.bytes = bytes;
    this.#touch(session, now, request);
    return {
      ok: true, key: session.key, handle, principal: session.principal, created, destroyed: false, size,
      evicted: evictions.map((s) => s.handle), duplicateLogin,
    };
  }

  async destroyByHandle(handle: string): Promise<boolean> {
    const key = this.#keyByHandle.get(handle);
    const session = key !== undefined ? this.#sessions.get(key) : undefined;
    if (!session) return false;
    this.#destroy(session);
    this.#counters.destroyedKill++;
    return true;
  }

  async destroyByPrincipal(principal: string, now: number): Promise<string[]> {
    const ended = this.#liveOfPrincipal(principal, now);
    for (const session of ended) {
      this.#destroy(session);
      this.#counters.destroyedKill++;
    }
    return ended.map((s) => s.handle);
  }

  /** One process, no lock to take: the whole sweep runs at once (a batch never leaves `more`). */
  async sweepExpired(now: number): Promise<SweepResult> {
    return { swept: true, expired: this.sweep(now), more: false };
  }

  async stats(now: number): Promise<SessionStats> {
    let active = 0;
    const sizes: number[] = [];
    for (const session of this.#sessions.values()) {
      if (session.expiresAt > now) active++;
      sizes.push(encodedSize(session.fields));
    }
    return {
      active,
      pendingExpiry: this.#sessions.size - active,
      counters: { ...this.#counters },
      sizeBuckets: [...SIZE_BUCKETS, null].map((le) => ({ le, count: sizes.filter((n) => le === null || n <= le).length })),
    };
  }

  async listByPrincipal(principal: string, now: number): Promise<SessionSummary[]> {
    return this.#liveOfPrincipal(principal, now).map((s) => ({
      handle: s.handle, principal: s.principal, createdAt: s.createdAt, lastAccessAt: s.lastAccessAt,
      size: encodedSize(s.fields), backend: s.backend,
    }));
  }

  async findByHandle(handle: string, now: number): Promise<SessionSummary | null> {
    const key = this.#keyByHandle.get(handle);
    const s = key !== undefined ? this.#sessions.get(key) : undefined;
    if (!s || s.handle !== handle || s.expiresAt <= now) return null;
    return { handle: s.handle, principal: s.principal, createdAt: s.createdAt, lastAccessAt: s.lastAccessAt, size: encodedSize(s.fields), backend: s.backend };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** End sessions whose deadline passed (counted as expired) and drop lapsed tombstones; returns the ended ones. */
  sweep(now: number): ExpiredSession[] {
    const expired: ExpiredSession[] = [];
    for (const session of this.#sessions.values()) {
      if (session.expiresAt > now) continue;
      this.#expire(session, session.deadlineKind);
      expired.push({ handle: session.handle, principal: session.principal, reason: session.deadlineKind });
    }
    for (const [key, until] of this.#tombstones) {
      if (until <= now) this.#dropTombstone(key);
    }
    for (const [key, alias] of this.#aliases) {
      if (alias.until <= now) this.#dropAlias(key);
    }
    return expired;
  }

  /** Sessions held (for tests and metrics). */
  get size(): number {
    return this.#sessions.size;
  }

  /** The memory bound and what the store holds of it, in estimated heap bytes. */
  get memory(): { limit: number; used: number } {
    return { limit: this.#budget.limit, used: this.#budget.used };
  }

  /**
   * What the store holds, named like the Redis keys without their bucket (`s:…`, `p:…`, `e:…`, `r:…`, and the
   * bucket indexes `k`, `x`, `z` while some session exists): tests check nothing leaks.
   */
  debugKeys(): string[] {
    return [
      ...[...this.#sessions.keys()].map((k) => `s:${k}`),
      ...[...this.#principals.keys()].map((p) => `p:${p}`),
      ...[...this.#tombstones.keys()].map((k) => `e:${k}`),
      ...[...this.#aliases.keys()].map((k) => `r:${k}`),
      ...(this.#sessions.size > 0 ? ['k', 'x', 'z'] : []),
    ];
  }

  /** The session a login rotated `key` to, while the login grace lasts. */
  #throughAlias(key: string, now: number): MemorySession | undefined {
    let at = key;
    for (let hop = 0; hop < 6; hop++) {
      const alias = this.#aliases.get(at);
      if (!alias || alias.until <= now) return undefined;
      const session = this.#sessions.get(alias.target);
      if (session) return session;
      at = alias.target;
    }
    return undefined;
  }

  /** A principal's sessions that are still live at `now`, oldest login first; drops index entries of ended ones. */
  #liveOfPrincipal(principal: string, now: number): MemorySession[] {
    const index = this.#principals.get(principal);
    if (!index) return [];
    const live: Array<[MemorySession, number]> = [];
    for (const [handle, loginAt] of index) {
      const key = this.#keyByHandle.get(handle);
      const session = key !== undefined ? this.#sessions.get(key) : undefined;
      if (!session) index.delete(handle);
      else if (session.expiresAt <= now) this.#expire(session, session.deadlineKind);
      else live.push([session, loginAt]);
    }
    if (index.size === 0) this.#principals.delete(principal);
    return live.sort((a, b) => a[1] - b[1]).map(([s]) => s);
  }

  #touch(session: MemorySession, now: number, timeouts: SessionTimeouts): void {
    session.lastAccessAt = now;
    session.expiresAt = sessionDeadline(session.createdAt, now, timeouts);
    session.deadlineKind = session.createdAt + timeouts.absoluteTimeoutMs < now + timeouts.idleTimeoutMs ? 'absolute' : 'idle';
  }

  #expire(session: MemorySession, reason: 'idle' | 'absolute'): void {
    this.#destroy(session);
    if (reason === 'absolute') this.#counters.expiredAbsolute++;
    else this.#counters.expiredIdle++;
  }

  #setTombstone(key: string, until: number): void {
    if (!this.#tombstones.has(key)) this.#budget.add(MARKER_BYTES);
    this.#tombstones.set(key, until);
  }

  #dropTombstone(key: string): void {
    if (this.#tombstones.delete(key)) this.#budget.release(MARKER_BYTES);
  }

  #setAlias(key: string, target: string, until: number): void {
    if (!this.#aliases.has(key)) this.#budget.add(MARKER_BYTES);
    this.#aliases.set(key, { target, until });
  }

  #dropAlias(key: string): void {
    if (this.#aliases.delete(key)) this.#budget.release(MARKER_BYTES);
  }

  #destroy(session: MemorySession): void {
    this.#budget.release(session.bytes);
    session.bytes = 0;
    this.#sessions.delete(session.key);
    this.#keyByHandle.delete(session.handle);
    if (session.principal !== null) this.#unindex(session.principal, session.handle);
  }

  #unindex(principal: string, handle: string): void {
    const index = this.#principals.get(principal);
    index?.delete(handle);
    if (index?.size === 0) this.#principals.delete(principal);
  }
}

/** A copy the caller may keep: later commits never change a session a request already loaded. */
/** A session as a load returns it; its attributes are the stored map itself, which no commit changes in place. */
function snapshot(s: MemorySession): StoredSession {
  return {
    key: s.key, handle: s.handle, principal: s.principal, createdAt: s.createdAt, lastAccessAt: s.lastAccessAt,
    status: null, fields: s.fields, size: s.size,
  };
}
