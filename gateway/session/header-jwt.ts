import { createHmac, timingSafeEqual } from 'node:crypto';
import { MAX_PRINCIPAL_BYTES } from './write-back.js';

/**
 * The hydrated `X-Session` request header (contract): a compact JWS, HS256, verifiable by any JWT library.
 * Claims: sid (non-secret handle), sub (principal, when logged in), iat, exp (60 s), data (attributes of the
 * location's scope), v (format version), and since v2 the session's lifetime (ct, la, idle, end: what HttpSession,
 * express-session's `cookie` and Django's expiry API report). Signed by hand with node:crypto: it is on the hot path,
 * and HS256 is three base64url parts and one HMAC. Versions only add claims: every v1 claim keeps its meaning.
 */

export const HEADER_TOKEN_TTL_SECONDS = 60;
const JOSE_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

export const HEADER_FORMAT_VERSION = 2;

/** The session's lifetime as the v2 claims carry it (times in ms since the epoch, the idle timeout in seconds). */
export interface SessionLifetime {
  /** Created at. */
  ct: number;
  /** Last access recorded before this request (refreshed at most every min(idle/10, 60 s)). */
  la: number;
  /** Idle timeout in seconds (`$session_idle_timeout` of the location). */
  idle: number;
  /** Absolute end: created + `$session_absolute_timeout`. */
  end: number;
}

export interface SessionClaims extends SessionLifetime {
  v: number;
  sid: string;
  sub?: string;
  iat: number;
  exp: number;
  data: Record<string, unknown>;
  /** 'evicted' when the duplicate-login policy ended the session this request's cookie named. */
  status?: string;
}

export function signSessionHeader(claims: Omit<SessionClaims, 'v' | 'iat' | 'exp'>, key: Buffer, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  const payload: SessionClaims = {
    v: HEADER_FORMAT_VERSION, sid: claims.sid, iat, exp: iat + HEADER_TOKEN_TTL_SECONDS, data: claims.data,
    ct: claims.ct, la: claims.la, idle: claims.idle, end: claims.end,
  };
  if (claims.sub !== undefined) payload.sub = claims.sub;
  if (claims.status !== undefined) payload.status = claims.status;
  const signingInput = `${JOSE_HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${signingInput}.${createHmac('sha256', key).update(signingInput).digest('base64url')}`;
}

/** base64url of an HMAC-SHA256 (32 bytes), no padding. */
const SIGNATURE_CHARS = 43;
/** Length of a session handle (`sid`): base64url of 16 random bytes (cookie.ts newHandle). */
const HANDLE_CHARS = 22;
/** The largest time in ms that has 13 digits (the year 2286): ct, la and end stay within it. */
const MAX_MS = 9_999_999_999_999;
const MAX_SECONDS = 9_999_999_999;

/**
 * How many bytes the attributes may take (encodedSize in store.ts) so that the X-Session header never exceeds
 * `maxHeaderBytes` (docs/architecture.md §4):
 *   header  = base64url(JOSE header) "." base64url(payload) "." base64url(HMAC)  →  37 + ceil(4P/3) + 44 bytes
 *   payload = the fixed claims (v, sid, iat, exp, ct, la, idle, end, at their widest)
 *             + `,"sub":"…"` (room for the longest principal, 256 bytes that all need escaping: 521 bytes)
 *             + the data object: "{" + Σ `"name":value,` with the last "," read as "}"
 * The principal's room is set aside rather than counted by the store: the store may hold it encrypted, and a login
 * racing a write must not be able to push the header over.
 * Negative when the header cannot hold even the fixed claims.
 */
export function attributeBudget(maxHeaderBytes: number, timeouts: { idleTimeoutMs: number; absoluteTimeoutMs: number }): number {
  const maxPayload = Math.floor(((maxHeaderBytes - JOSE_HEADER.length - 2 - SIGNATURE_CHARS) * 3) / 4);
  const skeleton: SessionClaims = {
    v: HEADER_FORMAT_VERSION, sid: 'x'.repeat(HANDLE_CHARS), iat: MAX_SECONDS, exp: MAX_SECONDS + HEADER_TOKEN_TTL_SECONDS, data: {},
    ct: MAX_MS, la: MAX_MS, idle: Math.floor(timeouts.idleTimeoutMs / 1000), end: MAX_MS + timeouts.absoluteTimeoutMs,
    sub: '"'.repeat(MAX_PRINCIPAL_BYTES),
  };
  // "{}" becomes "{" + the attributes, whose weights count one "," or "}" each: one byte less than their sum.
  return maxPayload - (JSON.stringify(skeleton).length - 1);
}

/** The smallest budget `$session_max_bytes` may leave for attributes. */
export const MIN_ATTRIBUTE_BUDGET = 1024;

export class SessionHeaderError extends Error {
  readonly code = 'SG_SESSION_HEADER_INVALID';
}

/**
 * Verify an X-Session header the way a backend should: signature, algorithm, expiry (with a little clock skew).
 * Shipped for Node backends (the demo app uses it); the README shows the same check in Python and Java.
 */
export function verifySessionHeader(token: string, key: Buffer | string, nowMs = Date.now(), skewSeconds = 5): SessionClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new SessionHeaderError('not a compact JWS');
  const [head, body, sig] = parts as [string, string, string];
  const expected = createHmac('sha256', key).update(`${head}.${body}`).digest();
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new SessionHeaderError('bad signature');
  const header = parseJsonPart(head) as { alg?: unknown } | null;
  if (header === null || typeof header !== 'object' || header.alg !== 'HS256') throw new SessionHeaderError(`unexpected alg ${String(header?.alg)}`);
  const claims = parseJsonPart(body) as SessionClaims | null;
  if (claims === null || typeof claims !== 'object') throw new SessionHeaderError('claims are not a JSON object');
  if (typeof claims.exp !== 'number' || claims.exp + skewSeconds < nowMs / 1000) throw new SessionHeaderError('expired');
  return claims;
}

function parseJsonPart(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString());
  } catch {
    throw new SessionHeaderError('a part is not base64url JSON');
  }
}
