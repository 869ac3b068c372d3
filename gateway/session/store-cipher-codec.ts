import { StoreKeyError } from '../errors.js';
import { integerOf } from './store-rules.js';
import { PRINCIPAL_FIELD, sealedKeyId, type StoreCipher } from './store-cipher.js';
import type { AttributeOps } from './store.js';

/**
 * How the Redis store writes values and principals: in clear, or sealed by a StoreCipher (docs/architecture.md §13,
 * "Encryption at rest"). The scripts never see a clear value when sealing is on, so what they cannot do blind —
 * `incr` — the gateway does: it reads the value, computes the sum, and sends a compare-and-set triple that the
 * commit script applies only if the value is still the one read (COMMIT_SESSION's cas triples).
 */

export interface ValueCodec {
  readonly sealing: boolean;
  /** The principal as stored (`#p`) and its index id (`p:<id>`, and the principal's bucket). */
  principal(principal: string): { stored: string; id: string };
  openPrincipal(stored: string): string;
  /** Like openPrincipal, but null instead of an error (for log lines, which must not stop a sweep). */
  peekPrincipal(stored: string): string | null;
  /** The values in clear; may return `fields` itself (the caller's own fresh map) when there is nothing to open. */
  open(fields: Map<string, string>): Map<string, string>;
  seal(fields: ReadonlyMap<string, string>): Map<string, string>;
  /** Stored values (attributes and `#p`) not sealed under the current key: what the next write re-encrypts. */
  stale(fields: ReadonlyMap<string, string>, storedPrincipal: string | undefined): Map<string, string> | null;
}

/** Without SESSION_STORE_KEY a sealed value cannot be read: never hand its ciphertext on as a value or a principal. */
function assertClear(stored: string): string {
  if (sealedKeyId(stored) !== null) {
    throw new StoreKeyError(`a stored session value is sealed under key id ${sealedKeyId(stored)}, and SESSION_STORE_KEY is not set`);
  }
  return stored;
}

export const CLEAR: ValueCodec = {
  sealing: false,
  principal: (principal) => ({ stored: principal, id: principal }),
  openPrincipal: assertClear,
  peekPrincipal: (stored) => (sealedKeyId(stored) === null ? stored : null),
  open: (fields) => {
    for (const value of fields.values()) assertClear(value);
    return fields;
  },
  seal: (fields) => new Map(fields),
  stale: () => null,
};

export function sealingCodec(cipher: StoreCipher): ValueCodec {
  const mapValues = (fields: ReadonlyMap<string, string>, f: (field: string, value: string) => string): Map<string, string> => {
    const out = new Map<string, string>();
    for (const [field, value] of fields) out.set(field, f(field, value));
    return out;
  };
  return {
    sealing: true,
    principal: (principal) => ({ stored: cipher.seal(PRINCIPAL_FIELD, principal), id: cipher.principalId(principal) }),
    openPrincipal: (stored) => cipher.open(PRINCIPAL_FIELD, stored),
    peekPrincipal: (stored) => {
      try {
        return cipher.open(PRINCIPAL_FIELD, stored);
      } catch {
        return null;
      }
    },
    open: (fields) => mapValues(fields, (field, value) => cipher.open(field, value)),
    seal: (fields) => mapValues(fields, (field, value) => cipher.seal(field, value)),
    stale: (fields, storedPrincipal) => {
      let out: Map<string, string> | null = null;
      const note = (field: string, value: string) => {
        if (!cipher.isCurrent(value)) (out ??= new Map()).set(field, value);
      };
      for (const [field, value] of fields) note(field, value);
      if (storedPrincipal !== undefined) note(PRINCIPAL_FIELD, storedPrincipal);
      return out;
    },
  };
}

/** A compare-and-set triple of COMMIT_SESSION: field, expected ('a' absent | 'v' + stored), replacement ('n' | 'v' + stored). */
export type Cas = [field: string, expected: string, replacement: string];

export interface SealedOps {
  unset: string[];
  set: Map<string, string>;
  cas: Cas[];
}

/**
 * A write-back's operations as a sealing store sends them: `set` sealed, each `incr` turned into a cas triple over
 * the value read (`current`: stored value, or null when absent), and each `stale` value the write-back does not
 * touch re-sealed under the current key (also as cas, so a value someone changed meanwhile is left alone).
 */
export function sealOps(cipher: StoreCipher, ops: AttributeOps, current: ReadonlyMap<string, string | null>, stale: ReadonlyMap<string, string>): SealedOps | { notNumber: string } {
  const set = new Map<string, string>();
  for (const [field, json] of ops.set) set.set(field, cipher.seal(field, json));
  const cas: Cas[] = [];
  for (const [field, delta] of ops.incr) {
    // unset, then set, then incr (store-rules.ts applyAttributeOps): a value this write-back sets or unsets is the base.
    const base = ops.set.has(field) ? ops.set.get(field)! : ops.unset.includes(field) ? undefined : openOrUndefined(cipher, field, current.get(field) ?? null);
    const n = integerOf(base);
    const result = n === null ? null : n + delta;
    const replacement = result === null || !Number.isSafeInteger(result) ? 'n' : `v${cipher.seal(field, String(result))}`;
    if (ops.set.has(field) || ops.unset.includes(field)) {
      // The base is the write-back's own value, whatever is stored: refused before anything is sent.
      if (replacement === 'n') return { notNumber: field };
      set.set(field, replacement.slice(1));
    } else {
      cas.push([field, expectedOf(current.get(field) ?? null), replacement]);
    }
  }
  for (const [field, stored] of stale) {
    if (ops.set.has(field) || ops.incr.has(field) || ops.unset.includes(field)) continue;
    cas.push([field, `v${stored}`, `v${cipher.seal(field, cipher.open(field, stored))}`]);
  }
  return { unset: ops.unset, set, cas };
}

const expectedOf = (stored: string | null): string => (stored === null ? 'a' : `v${stored}`);

const openOrUndefined = (cipher: StoreCipher, field: string, stored: string | null): string | undefined => (stored === null ? undefined : cipher.open(field, stored));

/** The incr fields whose stored value a sealing commit must read first (those the write-back neither sets nor unsets). */
export function fieldsToRead(ops: AttributeOps): string[] {
  return [...ops.incr.keys()].filter((field) => !ops.set.has(field) && !ops.unset.includes(field));
}

/**
 * Stale values a load found, by storage key, until the commit of the same request re-seals them ("re-encrypted on
 * its next write": the session service loads a session before it commits to it, in the same process). Bounded: an
 * entry that is never committed to is dropped oldest first; its session is re-sealed at a later write instead.
 */
export class StaleValues {
  readonly #byKey = new Map<string, Map<string, string>>();
  readonly #max: number;

  /** An entry lives from a request's load to its commit, so this only needs to cover the requests in flight. */
  constructor(max = 2_000) {
    this.#max = max;
  }

  note(key: string, stale: Map<string, string>): void {
    this.#byKey.delete(key);
    this.#byKey.set(key, stale);
    if (this.#byKey.size > this.#max) this.#byKey.delete(this.#byKey.keys().next().value!);
  }

  take(key: string | null): Map<string, string> {
    if (key === null) return new Map();
    const found = this.#byKey.get(key);
    this.#byKey.delete(key);
    return found ?? new Map();
  }
}
