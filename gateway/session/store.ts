/**
 * The session store: one small interface, two implementations chosen by a factory (store-factory.ts) —
 * RedisSessionStore (ioredis: standalone, Sentinel, Cluster) and MemorySessionStore (embedded, one gateway).
 * Both pass the same conformance suite (test/integration/session/store-conformance.ts).
 *
 * A session is addressed by its storage key: base64url(SHA-256(cookie id)), so a dump of the store never holds a
 * live cookie value. It also has a `handle` (the JWT `sid` claim, the admin API's `{sid}`): random, non-secret and
 * stable for the session's whole life, including across the id rotation at login.
 *
 * Attributes live in one flat namespace of fields `scope + "\u0000" + name` (scope '' is shared by every location),
 * each value JSON text, so a write touches only the attributes it names and `incr` is atomic per attribute.
 */

export interface SessionTimeouts {
  idleTimeoutMs: number;
  absoluteTimeoutMs: number;
}

export interface LoadOptions extends SessionTimeouts {
  now: number;
  /** Refresh last-access (and the store TTL) only when it is older than this: a busy session is not rewritten on
   * every request. The idle timeout is therefore enforced with this much slack. */
  touchAfterMs: number;
}

export interface StoredSession {
  key: string;
  handle: string;
  principal: string | null;
  createdAt: number;
  lastAccessAt: number;
  /** Set when the duplicate-login policy ended this session for a newer login ('evicted'). */
  status: string | null;
  /** field → JSON text, every scope. Use attributesOf() to read one scope. Read-only: a store may hand out its own. */
  fields: ReadonlyMap<string, string>;
  /** Encoded size of the attributes in bytes: what they take in the X-Session header's `data` (see encodedSize). */
  size: number;
}

/**
 * A found session's `key` is where it lives now: a login rotates the id, and for the login grace the old key is an
 * alias of the new one (a request still in flight with the pre-login cookie reaches the rotated session).
 *
 * Why a load found nothing: the cookie may be for a session that timed out, or for none at all. `evicted` is true
 * (once) when the duplicate-login policy ended the session: the store keeps a tombstone under the old storage key for
 * the rest of the evicted session's lifetime, and the first load of that key reports it and removes the tombstone.
 */
export type LoadResult =
  | { found: true; session: StoredSession }
  | { found: false; expired: 'idle' | 'absolute' | null; evicted?: boolean };

export interface AttributeOps {
  /** field → JSON text */
  set: Map<string, string>;
  unset: string[];
  /** field → integer delta; the result is an error if the current value is not an integer. */
  incr: Map<string, number>;
}

export interface CommitRequest extends SessionTimeouts {
  now: number;
  /**
   * Idempotency token, fresh for every write-back: a store reached over a network (Redis) records the result under
   * it, so a resent copy of the commit returns the first result and applies nothing (the embedded store runs each
   * call exactly once by construction and ignores it).
   */
  token: string;
  /** The key the request's cookie pointed at (the session may have expired since), or null for a new session. */
  key: string | null;
  /** The key to create a new session under, or to rotate to (login). */
  newKey: string | null;
  /** Handle for a new session (ignored when the session exists). */
  newHandle: string;
  ops: AttributeOps;
  /**
   * Bind to this principal (login): rotates to newKey, applies the duplicate-login policy. For `graceMs` (default 0)
   * the old key stays an alias of the new one (the login race, docs/architecture.md §13).
   */
  login: { principal: string; maxPerPrincipal: number; onLimit: 'evict-oldest' | 'reject-new'; graceMs?: number } | null;
  /** Destroy the session (logout). Applied after nothing else. */
  logout: boolean;
  /** Largest encodedSize of the attributes (header-jwt.ts attributeBudget: the principal's room is set aside). */
  maxBytes: number;
  /** The backend that answered (kept for `sessions list`). */
  backend: string | null;
  /**
   * `$session_wait_replicas`/`$session_wait_timeout`: the commit is answered once this many replicas have it, or
   * after the timeout (then logged and counted). Absent or null: no wait (the embedded store has no replicas).
   */
  replication?: { replicas: number; timeoutMs: number } | null;
}

export type CommitResult =
  | { ok: true; key: string; handle: string; principal: string | null; created: boolean; destroyed: boolean; size: number;
      /** Handles ended by the duplicate-login policy (evict-oldest). */
      evicted: string[];
      /** This login found the principal already signed in elsewhere (another live session). */
      duplicateLogin: boolean;
      /** Applied, but fewer replicas than `replication` asked acknowledged it in time (it is on the master). */
      unreplicated?: boolean }
  | { ok: false; code: 'SG_WRITEBACK_TOO_LARGE'; size: number }
  | { ok: false; code: 'SG_WRITEBACK_NOT_NUMBER'; field: string }
  | { ok: false; code: 'SG_LOGIN_REJECTED'; live: number }
  /** The embedded store's memory bound (memory-budget.ts): the session was not created or grown. */
  | { ok: false; code: 'SG_STORE_FULL'; limit: number };

export interface SessionSummary {
  handle: string;
  principal: string | null;
  createdAt: number;
  lastAccessAt: number;
  size: number;
  /** Name of the backend that last wrote the session (recorded at commit), when known. */
  backend: string | null;
}

/** A session the expiry sweep ended (for the `session.expired` log line). */
export interface ExpiredSession {
  handle: string;
  principal: string | null;
  reason: 'idle' | 'absolute';
}

export interface SweepOptions {
  /** Who sweeps (the gateway id): the lock holder may renew the lock for its next batch. */
  owner: string;
  /** The lock lapses after this long: at most one sweep per period over every gateway. */
  lockMs: number;
  /** Sessions ended per call at most; `more` says whether to call again. */
  batch: number;
}

export type SweepResult = { swept: false } | { swept: true; expired: ExpiredSession[]; more: boolean };

/**
 * Event counters (docs/architecture.md §4, the numbers KHAN users watched). In Redis they are global over every gateway sharing it;
 * the memory store counts for its process.
 */
export interface SessionCounters {
  created: number;
  logins: number;
  /** Logins of a principal that already had another live session (whatever the policy did about it). */
  duplicateLogins: number;
  /** Logins refused by `reject-new`. */
  loginRejected: number;
  destroyedLogout: number;
  destroyedKill: number;
  destroyedEvicted: number;
  expiredIdle: number;
  expiredAbsolute: number;
  /** Entries whose keys lapsed before any sweep ran (no gateway for the whole grace period): reason unknown. */
  expiredLapsed: number;
}

export interface SessionStats {
  /** Sessions whose deadline has not passed. */
  active: number;
  /** Past their deadline, not swept yet. */
  pendingExpiry: number;
  counters: SessionCounters;
  /** Cumulative: live sessions of at most `le` bytes (encoded size); the last bucket is `le: null` (+Inf). */
  sizeBuckets: Array<{ le: number | null; count: number }>;
}

/** Upper bounds of the size distribution, bytes. */
export const SIZE_BUCKETS: readonly number[] = [256, 1024, 2048, 4096, 8192, 16384];

export const NO_COUNTERS: Readonly<SessionCounters> = Object.freeze({
  created: 0, logins: 0, duplicateLogins: 0, loginRejected: 0, destroyedLogout: 0, destroyedKill: 0, destroyedEvicted: 0,
  expiredIdle: 0, expiredAbsolute: 0, expiredLapsed: 0,
});

export interface SessionStore {
  readonly kind: 'redis' | 'memory';
  /**
   * A sharded store: the bucket (key-placement.ts) a login's newKey must fall in for this principal, so the session
   * lands next to the principal's index. Absent or null: any key will do.
   */
  placementOf?(principal: string): number | null;
  /** Read a session and touch it, in one round trip. */
  load(key: string, options: LoadOptions): Promise<LoadResult>;
  /** Apply a write-back atomically: all of it or (on a non-ok result) none of it. */
  commit(request: CommitRequest): Promise<CommitResult>;
  /** End a session by handle (admin kill). Returns false when it did not exist. */
  destroyByHandle(handle: string): Promise<boolean>;
  /** End every live session of a principal (force logout), atomically. Returns the handles ended. */
  destroyByPrincipal(principal: string, now: number): Promise<string[]>;
  /** Live sessions of a principal, oldest first. */
  listByPrincipal(principal: string, now: number): Promise<SessionSummary[]>;
  /** One live session by its handle (the admin API's sid), without touching it; null when none is live. */
  findByHandle(handle: string, now: number): Promise<SessionSummary | null>;
  /**
   * End sessions whose deadline passed (idle or absolute), with their index entries, counting each once; a load or
   * commit racing for the same session never counts it twice (whoever deletes it counts it).
   */
  sweepExpired(now: number, options: SweepOptions): Promise<SweepResult>;
  /** Counters, live sessions and their size distribution. */
  stats(now: number): Promise<SessionStats>;
  /** Resolves when the store answers (start-up check, /healthz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const SCOPE_SEPARATOR = '\u0000';

export function attributeField(scope: string, name: string): string {
  return scope + SCOPE_SEPARATOR + name;
}

/** The attributes of one scope as a plain object of parsed JSON values (what the X-Session JWT carries). */
export function attributesOf(session: StoredSession, scope: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const prefix = scope + SCOPE_SEPARATOR;
  for (const [field, json] of session.fields) {
    if (!field.startsWith(prefix)) continue;
    try {
      // defineProperty, not `out[name] =`: an attribute named __proto__ must be an own property (assignment would
      // set the object's prototype instead and the attribute would never reach the backend).
      Object.defineProperty(out, field.slice(prefix.length), { value: JSON.parse(json), enumerable: true, writable: true, configurable: true });
    } catch {
      // A value is only ever written after JSON validation; skip rather than fail the request if one is damaged.
    }
  }
  return out;
}

/** Bytes a string takes as a JSON string, quotes included: the names the write-back accepts need only `"` and `\` escaped. */
function jsonStringBytes(text: string): number {
  let escapes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) escapes++;
  }
  return Buffer.byteLength(text) + escapes + 2;
}

/**
 * What one attribute adds to the X-Session `data` claim: `"name":value,` (docs/architecture.md §3). The size cap
 * counts these, so it bounds the header the backend receives. Twin: `weight` in redis-scripts.ts.
 */
export function attributeWeight(field: string, json: string): number {
  const name = field.slice(field.indexOf(SCOPE_SEPARATOR) + 1);
  return jsonStringBytes(name) + 1 + Buffer.byteLength(json) + 1;
}

/** Encoded size of a session's attributes: the bytes they take in the X-Session `data` claim, every scope summed. */
export function encodedSize(fields: Iterable<[string, string]>): number {
  let size = 0;
  for (const [field, json] of fields) size += attributeWeight(field, json);
  return size;
}
