import type { IncomingMessage } from 'node:http';
import { verifySessionHeader, type SessionClaims } from '../../gateway/session/header-jwt.js';

/**
 * The demo app's whole view of the session protocol (docs/architecture.md §3, contract): it reads the session only from the
 * signed `X-Session` request header and changes it only through `X-Session-*` response headers.
 */

export interface DemoSession {
  claims: SessionClaims | null;
  principal: string | null;
  data: Record<string, unknown>;
  /** The duplicate-login policy ended the session this browser had (claims or `X-Session-Status: evicted`). */
  evicted: boolean;
}

export type HeaderProblem = (reason: string) => void;

/** An unverifiable header is no session (and reported through `onInvalid`, so the app can log it). */
export function readSession(req: IncomingMessage, key: Buffer | null, onInvalid: HeaderProblem, nowMs = Date.now()): DemoSession {
  const token = req.headers['x-session'];
  const statusHeader = req.headers['x-session-status'];
  let claims: SessionClaims | null = null;
  if (typeof token === 'string' && token !== '') {
    if (!key) {
      onInvalid('no header key configured (set SESSION_HEADER_SECRET or SESSION_SECRET)');
    } else {
      try {
        claims = verifySessionHeader(token, key, nowMs);
      } catch (err) {
        onInvalid(err instanceof Error ? err.message : String(err));
      }
    }
  }
  const data = claims && typeof claims.data === 'object' && claims.data !== null ? claims.data : {};
  return {
    claims,
    principal: typeof claims?.sub === 'string' ? claims.sub : null,
    data,
    evicted: claims?.status === 'evicted' || statusHeader === 'evicted',
  };
}

export interface SessionUpdate {
  set?: Record<string, unknown>;
  unset?: string[];
  incr?: Record<string, number>;
}

/** Header names (contract). */
export const SESSION_UPDATE_HEADER = 'X-Session-Update';
export const SESSION_LOGIN_HEADER = 'X-Session-Login';
export const SESSION_LOGOUT_HEADER = 'X-Session-Logout';

/**
 * The value of `X-Session-Update`: JSON text, or `b64:` + base64url(JSON) when the JSON has anything outside
 * printable ASCII (a header value cannot carry it reliably).
 */
export function encodeSessionUpdate(update: SessionUpdate): string {
  const json = JSON.stringify(update);
  return /^[\x20-\x7e]*$/.test(json) ? json : `b64:${Buffer.from(json).toString('base64url')}`;
}

/** A principal the gateway accepts: 1 to 256 bytes of UTF-8, no control characters, no surrounding blanks. */
export function isValidPrincipal(user: unknown): user is string {
  return typeof user === 'string' && user.length > 0 && user === user.trim() && Buffer.byteLength(user) <= 256 &&
    /^[^\x00-\x1f\x7f-\x9f\u2028\u2029\p{Cs}]+$/u.test(user);
}

/**
 * The value of `X-Session-Login`: the principal as is when it is printable ASCII (and does not start with `b64:`),
 * else `b64:` + base64url of its UTF-8 bytes — a header string is written as Latin-1, which the gateway refuses.
 */
export function encodePrincipal(user: string): string {
  return /^[\x20-\x7e]*$/.test(user) && !user.startsWith('b64:') ? user : `b64:${Buffer.from(user).toString('base64url')}`;
}
