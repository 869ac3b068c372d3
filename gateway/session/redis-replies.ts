import type { Reply } from './redis-write.js';
import { COUNTER_FIELDS } from './redis-lua-prelude.js';
import { expiryReason, META_PREFIX } from './store-rules.js';
import { encodedSize, NO_COUNTERS, type CommitResult, type LoadOptions, type SessionCounters, type StoredSession } from './store.js';

/** Script replies as the store interface's plain data (the scripts' reply shapes are documented next to them). */

/** A session hash as HGETALL returns it (flat, from `start`): meta fields apart, attributes as stored. */
export function splitHash(flat: Reply, start: number): { meta: Map<string, string>; fields: Map<string, string> } {
  const fields = new Map<string, string>();
  const meta = new Map<string, string>();
  for (let i = start; i + 1 < flat.length; i += 2) {
    const field = flat[i] as string;
    (field.startsWith(META_PREFIX) ? meta : fields).set(field, flat[i + 1] as string);
  }
  return { meta, fields };
}

/** The same split of a hash as ioredis' `hgetall` returns it (an object; an empty one when the key is absent). */
export function splitRecord(record: Record<string, string>): { meta: Map<string, string>; fields: Map<string, string> } {
  const fields = new Map<string, string>();
  const meta = new Map<string, string>();
  for (const field of Object.keys(record)) (field.startsWith(META_PREFIX) ? meta : fields).set(field, record[field]!);
  return { meta, fields };
}

/**
 * Whether a session read with a plain HGETALL can be served as it is: it is live at \`now\` and its last access is
 * recent enough that no touch is due. Otherwise LOAD_SESSION runs, which expires (and counts) or touches it
 * atomically (docs/architecture.md §13, "Reads"). Mirrors the script's expiry_reason and touch condition.
 */
export function servableAsRead(meta: ReadonlyMap<string, string>, options: LoadOptions): boolean {
  const created = meta.get('#c');
  const last = meta.get('#a');
  if (created === undefined || last === undefined) return false;
  const lastAccessAt = Number(last);
  if (expiryReason(Number(created), lastAccessAt, options.now, options) !== null) return false;
  return options.now - lastAccessAt < options.touchAfterMs;
}

export function storedSessionOf(key: string, meta: Map<string, string>, fields: Map<string, string>, principal: string | null): StoredSession {
  return {
    key,
    handle: meta.get('#h') ?? '',
    principal,
    createdAt: Number(meta.get('#c') ?? 0),
    lastAccessAt: Number(meta.get('#a') ?? 0),
    status: null,
    fields,
    size: encodedSize(fields),
  };
}

/** COMMIT_SESSION / MOVE_LAND: {'ok', …} or {'err', code, detail}. `principalOf` turns the stored principal back. */
export function commitResultOf(reply: Reply, principalOf: (stored: string) => string): CommitResult {
  if (reply[0] === 'err') {
    const detail = String(reply[2] ?? '');
    switch (reply[1]) {
      case 'SG_WRITEBACK_TOO_LARGE':
        return { ok: false, code: 'SG_WRITEBACK_TOO_LARGE', size: Number(detail) };
      case 'SG_WRITEBACK_NOT_NUMBER':
        return { ok: false, code: 'SG_WRITEBACK_NOT_NUMBER', field: detail };
      case 'SG_LOGIN_REJECTED':
        return { ok: false, code: 'SG_LOGIN_REJECTED', live: Number(detail) };
      default:
        throw new Error(`unexpected refusal ${String(reply[1])} from the commit script`);
    }
  }
  if (reply[0] !== 'ok') throw new Error(`unexpected reply ${String(reply[0])} from the commit script`);
  const [, key, handle, hasPrincipal, principal, created, destroyed, size, duplicate, ...evicted] = reply as string[];
  return {
    ok: true,
    key: key ?? '',
    handle: handle ?? '',
    principal: hasPrincipal === '1' ? principalOf(principal ?? '') : null,
    created: created === '1',
    destroyed: destroyed === '1',
    size: Number(size),
    evicted,
    duplicateLogin: duplicate === '1',
  };
}

/** `expired_idle` → `expiredIdle` */
const counterName = (field: string): keyof SessionCounters => field.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof SessionCounters;

/** Adds a bucket's counters hash (flat HGETALL) to `into`. */
export function addCounters(into: SessionCounters, flat: Reply): void {
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const field = flat[i] as string;
    if ((COUNTER_FIELDS as readonly string[]).includes(field)) into[counterName(field)] += Number(flat[i + 1]);
  }
}

export function noCounters(): SessionCounters {
  return { ...NO_COUNTERS };
}
