import { createHmac, timingSafeEqual } from 'node:crypto';

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
