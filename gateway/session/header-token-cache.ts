import { SCOPE_SEPARATOR, type StoredSession } from './store.js';

/** Sessions whose last token is kept: a bounded cache that starts over when full (a miss costs what no cache costs). */
const CACHE_ENTRIES = 4096;
/** Larger tokens are signed every time: the cache stays within a few MiB whatever the sessions hold. */
const MAX_CACHED_TOKEN_CHARS = 2048;

/** What a token's claims are made of, besides the session's handle (the key it is kept under). */
export interface TokenInputs {
  /** The second of `iat`. */
  second: number;
  /** Idle timeout in seconds and absolute end (ms), the claims `idle` and `end`. */
  idle: number;
  end: number;
}

interface Entry {
  second: number;
  idle: number;
  end: number;
  createdAt: number;
  lastAccessAt: number;
  principal: string | null;
  /** The scope's attributes, field and stored JSON in turn, in the session's order. */
  scoped: string[];
  token: string;
}

/**
 * The X-Session token of a session's last request, reused while nothing it carries has changed (docs/architecture.md
 * §3). A token is a pure function of its claims, and `iat`/`exp` have one-second resolution, so a session requested
 * several times in a second (a page and its assets, an API client) would be signed identically each time: HMAC and
 * base64url are the biggest share of the read path's own work. A token is reused only when every input is equal —
 * principal, lifetime, the scope's attribute names and stored JSON values in order, and the second — so a reused token
 * is byte-identical to the one signing would produce. The inputs are compared one by one with what the entry kept:
 * no key text is built on a hit.
 */
export class HeaderTokenCache {
  /** Scope → session handle → entry. */
  readonly #scopes = new Map<string, Map<string, Entry>>();
  #size = 0;

  /** The token for these inputs, from the cache or from `sign` (then remembered). */
  tokenFor(session: StoredSession, scope: string, inputs: TokenInputs, sign: () => string): string {
    // Attributes this large make a token too long to keep (base64url: 4 chars per 3 bytes): nothing to compare.
    if (session.size * 4 > MAX_CACHED_TOKEN_CHARS * 3) return sign();
    let entries = this.#scopes.get(scope);
    const hit = entries?.get(session.handle);
    if (hit !== undefined && sameInputs(hit, session, scope, inputs)) return hit.token;
    const token = sign();
    if (token.length > MAX_CACHED_TOKEN_CHARS) return token;
    if (hit === undefined && this.#size >= CACHE_ENTRIES) {
      this.#scopes.clear();
      this.#size = 0;
      entries = undefined;
    }
    if (entries === undefined) {
      entries = new Map();
      this.#scopes.set(scope, entries);
    }
    if (hit === undefined) this.#size++;
    entries.set(session.handle, {
      second: inputs.second, idle: inputs.idle, end: inputs.end,
      createdAt: session.createdAt, lastAccessAt: session.lastAccessAt, principal: session.principal,
      scoped: scopedFields(session, scope), token,
    });
    return token;
  }
}

function sameInputs(entry: Entry, session: StoredSession, scope: string, inputs: TokenInputs): boolean {
  if (entry.second !== inputs.second || entry.idle !== inputs.idle || entry.end !== inputs.end) return false;
  if (entry.createdAt !== session.createdAt || entry.lastAccessAt !== session.lastAccessAt) return false;
  if (entry.principal !== session.principal) return false;
  const scoped = entry.scoped;
  const prefix = scope + SCOPE_SEPARATOR;
  let i = 0;
  for (const [field, json] of session.fields) {
    if (!field.startsWith(prefix)) continue;
    if (i + 1 >= scoped.length || scoped[i] !== field || scoped[i + 1] !== json) return false;
    i += 2;
  }
  return i === scoped.length;
}

function scopedFields(session: StoredSession, scope: string): string[] {
  const prefix = scope + SCOPE_SEPARATOR;
  const scoped: string[] = [];
  for (const [field, json] of session.fields) if (field.startsWith(prefix)) scoped.push(field, json);
  return scoped;
}
