/**
 * Turn a request's session changes into the gateway's write-back headers (README, "Write-back response headers"):
 * changed attributes are `set`, removed ones `unset` (only those, so two requests that change different attributes
 * never lose each other's writes). The principal path names the attribute that means "logged in": a new or changed
 * value sends `X-Session-Login` (the gateway rotates the session id), its removal `X-Session-Logout` (with the
 * attributes the app still holds, which the gateway puts in a new anonymous session).
 * The Python adapter (adapters/python/session_gateway/state.py) follows the same rules.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface GatewayClaims {
  sid: string;
  sub?: string;
  data: Record<string, unknown>;
  ct?: number;
  la?: number;
  idle?: number;
  end?: number;
}

export interface SessionChanges {
  /** The attributes now (what JSON.stringify of the session keeps). */
  current: Record<string, unknown>;
  /** The session was started again (regenerate): the gateway's attributes all go, the id rotates. */
  regenerated: boolean;
  /** The session was destroyed: the gateway ends it. */
  destroyed: boolean;
}

const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/;

/** JSON text equal for equal values whatever the key order: what "did this attribute change" compares. */
export function canonicalJson(value: unknown): string | undefined {
  // Plain JSON first: it applies toJSON (a Date) and refuses a circular value with a clear TypeError.
  const plain = JSON.stringify(value);
  if (plain === undefined) return undefined;
  return JSON.stringify(JSON.parse(plain), (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
  });
}

/** The principal at `path` ("user" or "user.id") in `data`, as text; null when absent. */
export function principalOf(data: Record<string, unknown>, path: string | undefined): string | null {
  if (!path) return null;
  let value: unknown = data;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return null;
    value = (value as Record<string, unknown>)[part];
  }
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string' && value !== '') return value;
  return null;
}

/** A header value is Latin-1 on the wire: JSON with non-ASCII goes as `b64:` + base64url(UTF-8). */
export function encodeUpdate(set: Record<string, unknown>, unset: string[]): string | null {
  const update: { set?: Record<string, unknown>; unset?: string[] } = {};
  if (Object.keys(set).length > 0) update.set = set;
  if (unset.length > 0) update.unset = unset;
  if (!update.set && !update.unset) return null;
  const text = JSON.stringify(update);
  return /^[\x20-\x7e]*$/.test(text) ? text : `b64:${Buffer.from(text, 'utf8').toString('base64url')}`;
}

/**
 * The X-Session-Login value: printable ASCII as is, anything else as `b64:` + base64url(UTF-8). Not raw UTF-8 bytes
 * as Latin-1 characters: Node writes the head as Latin-1 only when it goes out alone; sent together with a string
 * body it is encoded as UTF-8, and those bytes would arrive encoded twice (`zoë` as `zoÃ«`, a different principal).
 */
export function encodePrincipal(principal: string): string {
  if (principal === '' || CONTROL.test(principal)) throw new TypeError(`session-gateway: principal ${JSON.stringify(principal)} is empty or has control characters`);
  return /^[\x20-\x7e]*$/.test(principal) && !principal.startsWith('b64:') ? principal : `b64:${Buffer.from(principal, 'utf8').toString('base64url')}`;
}

/** The write-back headers that make the gateway's session equal to `changes`, as [name, value] pairs. */
export function writeBackHeaders(claims: GatewayClaims | null, principalPath: string | undefined, changes: SessionChanges): Array<[string, string]> {
  if (changes.destroyed) return claims ? [['X-Session-Logout', '1']] : [];
  const original = claims?.data ?? {};
  const sub = claims?.sub ?? null;
  const newPrincipal = principalOf(changes.current, principalPath);
  if (newPrincipal === null && sub !== null && (changes.regenerated || principalOf(original, principalPath) !== null)) {
    // Logged out: the gateway ends the session; what the app still holds goes into a new anonymous one.
    const kept = Object.fromEntries(Object.entries(changes.current).filter(([, v]) => canonicalJson(v) !== undefined));
    const update = encodeUpdate(kept, []);
    return update === null ? [['X-Session-Logout', '1']] : [['X-Session-Logout', '1'], ['X-Session-Update', update]];
  }
  const headers: Array<[string, string]> = [];
  if (newPrincipal !== null && (newPrincipal !== sub || changes.regenerated)) headers.push(['X-Session-Login', encodePrincipal(newPrincipal)]);
  const set: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(changes.current)) {
    const text = canonicalJson(value);
    if (text === undefined) continue; // undefined and functions are not stored, as JSON.stringify drops them
    if (!Object.hasOwn(original, name) || canonicalJson(original[name]) !== text) set[name] = value;
  }
  const unset = Object.keys(original).filter((name) => !Object.hasOwn(changes.current, name) || canonicalJson(changes.current[name]) === undefined);
  const update = encodeUpdate(set, unset);
  if (update !== null) headers.push(['X-Session-Update', update]);
  return headers;
}
