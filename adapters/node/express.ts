import type { IncomingMessage, ServerResponse } from 'node:http';
import { deriveHeaderKey } from '../../gateway/config/env.js';
import { SessionHeaderError, verifySessionHeader } from '../../gateway/session/header-jwt.js';
import { attributesOf, Session, SessionCookie, type SessionContext, type SessionData } from './session.js';
import { writeBackHeaders, type GatewayClaims } from './write-back.js';

/**
 * express-session's API on the gateway's header protocol, for Express 4 and 5 and Connect:
 *
 *   const { gatewaySession } = require('session-gateway/express');     // or: import { gatewaySession } from ...
 *   app.use(gatewaySession({ principal: 'user.id' }));                  // in place of app.use(session({...}))
 *
 * `req.session` is read from the signed `X-Session` header (no header, or one that does not verify, is an empty
 * session: never trusted, logged once). Its changes go to the gateway as `X-Session-*` headers added just before the
 * response head is written, so the gateway has saved them before the browser sees the response. No cookie is set:
 * the gateway owns the only one.
 */

export { Session, SessionCookie, type SessionData };

export interface GatewaySessionOptions {
  /** The attribute (or field path, "user.id") whose value is the logged-in principal. */
  principal?: string;
  /** The X-Session key; default SESSION_HEADER_SECRET, or derived from SESSION_SECRET as the gateway does. */
  key?: string | Buffer;
  /** Where problems are reported (default: console.warn). */
  warn?: (message: string) => void;
}

export type SessionRequest<T = SessionData> = IncomingMessage & { session: Session & Partial<T>; sessionID: string };

type Next = (err?: unknown) => void;

export function gatewaySession(options: GatewaySessionOptions = {}): (req: IncomingMessage, res: ServerResponse, next: Next) => void {
  const key = options.key ?? deriveHeaderKey(process.env);
  if (key === null || key.length === 0) {
    throw Object.assign(new Error('session-gateway/express: set SESSION_HEADER_SECRET (or SESSION_SECRET) to the gateway\'s value, or pass { key }, so the X-Session header can be verified'), { code: 'SG_SESSION_KEY_MISSING' });
  }
  const warned = new Set<string>();
  const print = options.warn ?? ((message: string) => console.warn(message));
  const warnOnce = (message: string) => {
    if (warned.has(message)) return;
    warned.add(message);
    print(message);
  };

  return function gatewaySessionMiddleware(req: IncomingMessage, res: ServerResponse, next: Next): void {
    const request = req as SessionContext['req'];
    // Self-awareness, as express-session: mounted twice, the first one wins.
    if (request.session) {
      next();
      return;
    }
    const context: SessionContext = {
      req: request, claims: readClaims(req.headers['x-session'], key, warnOnce), regenerated: false, destroyed: false, headSent: false, saved: {}, warn: warnOnce,
    };
    context.saved = { ...(context.claims?.data ?? {}) };
    request.session = new Session(context, structuredClone(context.claims?.data ?? {}));
    Object.defineProperty(request, 'sessionID', { get: () => context.claims?.sid ?? '', configurable: true, enumerable: true });
    hookResponseHead(res, () => {
      context.headSent = true;
      const session = request.session;
      if (!context.destroyed && !session) return; // `req.session = null`: kept unchanged, as express-session's default `unset: 'keep'`
      const current = session ? attributesOf(session) : {};
      for (const [name, value] of writeBackHeaders(context.claims, options.principal, { current, regenerated: context.regenerated, destroyed: context.destroyed })) {
        res.setHeader(name, value);
      }
    }, warnOnce);
    next();
  };
}

function readClaims(header: string | string[] | undefined, key: string | Buffer, warn: (message: string) => void): GatewayClaims | null {
  if (header === undefined) return null;
  try {
    if (Array.isArray(header)) throw new SessionHeaderError('X-Session sent more than once');
    const claims = verifySessionHeader(header, key);
    if (typeof claims.sid !== 'string' || claims.data === null || typeof claims.data !== 'object') throw new SessionHeaderError('no sid or data claim');
    return claims;
  } catch (err) {
    if (!(err instanceof SessionHeaderError)) throw err;
    warn(`session-gateway/express: ignoring an X-Session header that does not verify (${err.code}: ${err.message}): the request has no session; check SESSION_HEADER_SECRET / SESSION_SECRET`);
    return null;
  }
}

/**
 * Run `beforeHead` once, right before the response head is written (what on-headers does): every way of sending a
 * head (writeHead, write, end, flushHeaders) goes through writeHead. A session that cannot be encoded (a circular
 * value) is reported and left unchanged at the gateway rather than breaking the response.
 */
function hookResponseHead(res: ServerResponse, beforeHead: () => void, warn: (message: string) => void): void {
  const writeHead = res.writeHead;
  let done = false;
  res.writeHead = function writeHeadWithSession(this: ServerResponse, ...args: unknown[]) {
    if (!done) {
      done = true;
      try {
        beforeHead();
      } catch (err) {
        warn(`session-gateway/express: the session was not saved: ${(err as Error).message}`);
      }
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
}
