import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mintIdInBucket } from '../../../gateway/session/key-placement.js';
import { attributeField, type AttributeOps, type CommitRequest, type CommitResult, type SessionStore } from '../../../gateway/session/store.js';

/**
 * What both parts of the store conformance suite build requests and check results with. `storedKeys()` lists what
 * the store holds, named like the Redis keys without their prefix (`s:…`, `h:…`, `p:…`, `e:…`), so "nothing is left
 * behind" is checked the same way on every store.
 */
export interface StoreUnderTest {
  store: SessionStore;
  storedKeys(): Promise<string[]>;
  close(): Promise<void>;
}

export const MIN = 60_000;
export const TIMEOUTS = { idleTimeoutMs: 30 * MIN, absoluteTimeoutMs: 24 * 60 * MIN };
export const MAX_BYTES = 8 * 1024;

export const id = (): string => randomBytes(32).toString('base64url');
export const f = (name: string): string => attributeField('', name);

export function ops(o: { set?: Record<string, unknown>; unset?: string[]; incr?: Record<string, number> } = {}): AttributeOps {
  return {
    set: new Map(Object.entries(o.set ?? {}).map(([k, v]) => [f(k), JSON.stringify(v)])),
    unset: (o.unset ?? []).map(f),
    incr: new Map(Object.entries(o.incr ?? {}).map(([k, v]) => [f(k), v])),
  };
}

let placement: ((principal: string) => number | null) | null = null;

/** Mint logins' new keys where the store under test wants them (SessionStore.placementOf), as the session service does. */
export function usePlacementOf(store: SessionStore): void {
  placement = (principal) => store.placementOf?.(principal) ?? null;
}

/** A commit creating a new session at `now`, changed by `partial`; a login's newKey is placed for its principal. */
export function request(now: number, partial: Partial<CommitRequest> = {}): CommitRequest {
  const bucket = partial.login && partial.newKey === undefined ? (placement?.(partial.login.principal) ?? null) : null;
  return {
    now, key: null, newKey: bucket === null ? id() : mintIdInBucket(bucket, (x) => x).key, newHandle: id(), token: id(), ops: ops(), login: null, logout: false,
    maxBytes: MAX_BYTES, backend: null, ...TIMEOUTS, ...partial,
  };
}

export function ok(result: CommitResult): Extract<CommitResult, { ok: true }> {
  assert.ok(result.ok, `commit refused: ${JSON.stringify(result)}`);
  return result;
}

/**
 * Keys of sessions and their indexes: the counters (`c`), the sweep lock (`l:`), the commit results kept under
 * their idempotency tokens for a minute (`i:`) and the sealed principal index key (`w:`) are not session state.
 */
export async function sessionStateKeys(t: StoreUnderTest): Promise<string[]> {
  return (await t.storedKeys()).filter((k) => k !== 'c' && !k.startsWith('l:') && !k.startsWith('i:') && !k.startsWith('w:'));
}
