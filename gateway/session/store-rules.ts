import { WriteBackError } from '../errors.js';
import type { AttributeOps, SessionTimeouts } from './store.js';

/**
 * Rules both stores apply identically (the Redis store has a Lua twin of each in redis-lua-prelude.ts and
 * redis-session-scripts.ts; the conformance suite holds them together). Pure functions, no I/O.
 */

/**
 * Meta fields of a stored session share the hash with the attributes. Attribute fields start with a scope character
 * ([A-Za-z0-9_-]) or with "\0" (scope ''), never with '#', so a '#' prefix can never collide with one.
 */
export const META_PREFIX = '#';

/** How long after it was last touched a session ends: the earlier of the idle and the absolute deadline. */
export function sessionDeadline(createdAt: number, lastAccessAt: number, timeouts: SessionTimeouts): number {
  return Math.min(lastAccessAt + timeouts.idleTimeoutMs, createdAt + timeouts.absoluteTimeoutMs);
}

/** Why a session is over at `now`, or null when it is live. When both deadlines passed, the one that came first. */
export function expiryReason(createdAt: number, lastAccessAt: number, now: number, timeouts: SessionTimeouts): 'idle' | 'absolute' | null {
  const idleAt = lastAccessAt + timeouts.idleTimeoutMs;
  const absoluteAt = createdAt + timeouts.absoluteTimeoutMs;
  if (now < idleAt && now < absoluteAt) return null;
  return idleAt <= absoluteAt ? 'idle' : 'absolute';
}

/**
 * The integer a stored JSON value holds, or null when it holds something else. Only plain integer text counts
 * ("5", "-3"), limited to the safe-integer range so Lua doubles and JS numbers agree on every result.
 */
export function integerOf(json: string | undefined): number | null {
  if (json === undefined) return 0;
  if (!/^-?\d{1,16}$/.test(json)) return null;
  const n = Number(json);
  return Number.isSafeInteger(n) ? n : null;
}

/** A programming error, not a backend's: the write-back parser only ever builds fields with attributeField(). */
export function assertAttributeFields(ops: AttributeOps): void {
  const fields = [...ops.set.keys(), ...ops.unset, ...ops.incr.keys()];
  for (const field of fields) {
    if (field.startsWith(META_PREFIX)) {
      throw new WriteBackError('SG_WRITEBACK_MALFORMED', `attribute field ${JSON.stringify(field)} starts with "${META_PREFIX}"`);
    }
  }
  for (const [field, delta] of ops.incr) {
    if (!Number.isSafeInteger(delta)) throw new WriteBackError('SG_WRITEBACK_MALFORMED', `incr of ${JSON.stringify(field)} by a non-integer`);
  }
}

/**
 * A write-back's attribute operations applied to a copy of `fields`: unset, then set, then incr (the Lua twin is in
 * COMMIT_SESSION). Returns the new fields, or the first field whose incr does not hold an integer.
 */
export function applyAttributeOps(fields: ReadonlyMap<string, string>, ops: AttributeOps): { fields: Map<string, string> } | { notNumber: string } {
  const next = new Map(fields);
  for (const field of ops.unset) next.delete(field);
  for (const [field, json] of ops.set) next.set(field, json);
  for (const [field, delta] of ops.incr) {
    const current = integerOf(next.get(field));
    const result = current === null ? null : current + delta;
    if (result === null || !Number.isSafeInteger(result)) return { notNumber: field };
    next.set(field, String(result));
  }
  return { fields: next };
}
