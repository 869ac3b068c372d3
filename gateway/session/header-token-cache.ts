import { SCOPE_SEPARATOR, type StoredSession } from './store.js';

/** Sessions whose last token is kept: a bounded map that starts over when full (a miss costs what no cache costs). */
const CACHE_ENTRIES = 4096;
/** Larger tokens are signed every time: the cache stays within a few MiB whatever the sessions hold. */
const MAX_CACHED_TOKEN_CHARS = 2048;

interface Entry {
  source: string;
  token: string;
}

/**
 * The X-Session token of a session's last request, reused while nothing it carries has changed (docs/architecture.md
 * §3). A token is a pure function of its claims, and `iat`/`exp` have one-second resolution, so a session requested
 * several times in a second (a page and its assets, an API client) would be signed identically each time: HMAC and
 * base64url are the biggest share of the read path's own work. The cache key is the exact text of every input —
 * principal, lifetime, the scope's attribute names and stored JSON values, and the second — so a reused token is
 * byte-identical to the one signing would produce.
 */
export class HeaderTokenCache {
  readonly #entries = new Map<string, Entry>();

  /** The token for these inputs, from the cache or from `sign` (then remembered). */
  tokenFor(session: StoredSession, scope: string, lifetime: string, second: number, sign: () => string): string {
    // Attributes this large make a token too long to keep (base64url: 4 chars per 3 bytes): no key text to build.
    if (session.size * 4 > MAX_CACHED_TOKEN_CHARS * 3) return sign();
    const source = sourceText(session, scope, lifetime, second);
    const cacheKey = `${scope}${SCOPE_SEPARATOR}${session.handle}`;
    const hit = this.#entries.get(cacheKey);
    if (hit !== undefined && hit.source === source) return hit.token;
    const token = sign();
    if (token.length <= MAX_CACHED_TOKEN_CHARS) {
      if (hit === undefined && this.#entries.size >= CACHE_ENTRIES) this.#entries.clear();
      this.#entries.set(cacheKey, { source, token });
    }
    return token;
  }
}

/** Every input of the token as one unambiguous string (each variable part is length-prefixed). */
function sourceText(session: StoredSession, scope: string, lifetime: string, second: number): string {
  const principal = session.principal;
  let text = `${second}|${lifetime}|${principal === null ? '-' : `${principal.length}:${principal}`}`;
  const prefix = scope + SCOPE_SEPARATOR;
  for (const [field, json] of session.fields) {
    if (field.startsWith(prefix)) text += `|${field.length}:${field}${json.length}:${json}`;
  }
  return text;
}
