import type { IncomingMessage } from 'node:http';
import type { GatewayClaims } from './write-back.js';

/**
 * `req.session` as express-session makes it (session/session.js there): the attributes are the object's own
 * properties; `regenerate`, `destroy`, `save`, `reload`, `touch`, `resetMaxAge` are methods; `id` and `cookie` are
 * what the gateway says. There is no store to call: the gateway receives the changes in the response head, before
 * the response reaches the browser, so `save(cb)` only records the state `reload(cb)` goes back to.
 */

/** Attributes an app keeps in its session; augment it as with express-session's `SessionData`. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface SessionData {}

type Callback = (err?: Error) => void;

/** The per-request state the session methods share with the middleware. */
export interface SessionContext {
  req: IncomingMessage & { session?: Session | null; sessionID?: string };
  claims: GatewayClaims | null;
  regenerated: boolean;
  destroyed: boolean;
  headSent: boolean;
  /** The attributes of the last `save()`, or those the gateway sent: what `reload()` restores. */
  saved: Record<string, unknown>;
  warn(message: string): void;
}

const contexts = new WeakMap<Session, SessionContext>();

function later(cb: Callback | undefined, err?: Error): void {
  if (cb) setImmediate(() => cb(err));
}

/** Own enumerable attributes of a session, without `cookie` (express-session's hash leaves it out too). */
export function attributesOf(session: Session): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(session)) if (name !== 'cookie') out[name] = (session as unknown as Record<string, unknown>)[name];
  return out;
}

function copyJson(data: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
}

/**
 * The session cookie as express-session reports it, from the gateway's lifetime claims: `maxAge` is the time left
 * (the idle timeout, or less near the absolute end), `originalMaxAge` the idle timeout. The gateway owns the cookie,
 * so the lifetime cannot be changed from the app: assignments are ignored with a warning.
 */
export class SessionCookie {
  readonly path = '/';
  readonly httpOnly = true;
  readonly sameSite = 'lax';
  readonly secure: boolean;
  readonly #idleMs: number | null;
  readonly #endMs: number | null;
  readonly #warn: (message: string) => void;

  constructor(claims: GatewayClaims | null, secure: boolean, warn: (message: string) => void) {
    this.#idleMs = typeof claims?.idle === 'number' ? claims.idle * 1000 : null;
    this.#endMs = typeof claims?.end === 'number' ? claims.end : null;
    this.secure = secure;
    this.#warn = warn;
  }

  get originalMaxAge(): number | null {
    return this.#idleMs;
  }

  get expires(): Date | null {
    if (this.#idleMs === null) return null;
    const idleEnd = Date.now() + this.#idleMs;
    return new Date(this.#endMs === null ? idleEnd : Math.min(idleEnd, this.#endMs));
  }

  set expires(_value: Date | null) {
    this.#warn('session-gateway: req.session.cookie.expires is set by the gateway ($session_idle_timeout, $session_absolute_timeout); the assignment is ignored');
  }

  get maxAge(): number | null {
    const expires = this.expires;
    return expires === null ? null : expires.getTime() - Date.now();
  }

  set maxAge(_value: number | null) {
    this.#warn('session-gateway: req.session.cookie.maxAge is set by the gateway ($session_idle_timeout, $session_absolute_timeout); the assignment is ignored');
  }

  toJSON(): Record<string, unknown> {
    return { originalMaxAge: this.originalMaxAge, expires: this.expires, secure: this.secure, httpOnly: this.httpOnly, path: this.path, sameSite: this.sameSite };
  }
}

export class Session {
  declare cookie: SessionCookie;

  constructor(context: SessionContext, data: Record<string, unknown>) {
    contexts.set(this, context);
    const secure = context.req.headers['x-forwarded-proto'] === 'https';
    Object.defineProperty(this, 'cookie', { value: new SessionCookie(context.claims, secure, context.warn), enumerable: false, writable: true, configurable: true });
    for (const [name, value] of Object.entries(data)) {
      // As express-session: an attribute never shadows a method (nor __proto__).
      if (!(name in this)) (this as unknown as Record<string, unknown>)[name] = value;
    }
  }

  /** The gateway's stable, non-secret session handle (`sid`); '' until the gateway has created the session. */
  get id(): string {
    return contexts.get(this)!.claims?.sid ?? '';
  }

  /** Start again with an empty session and a new id (the gateway rotates it; express-session's regenerate). */
  regenerate(cb?: Callback): this {
    const context = contexts.get(this)!;
    context.regenerated = true;
    context.destroyed = false;
    context.saved = {};
    context.req.session = new Session(context, {});
    later(cb);
    return this;
  }

  /** End the session: the gateway destroys it and expires its cookie. `req.session` is gone for this request. */
  destroy(cb?: Callback): this {
    const context = contexts.get(this)!;
    context.destroyed = true;
    delete context.req.session;
    later(cb);
    return this;
  }

  /** The gateway saves with the response head; after the head is gone a change can no longer reach it. */
  save(cb?: Callback): this {
    const context = contexts.get(this)!;
    if (context.headSent) {
      later(cb, Object.assign(new Error('session-gateway: the response head was already sent; a session is saved with the head'), { code: 'SG_SESSION_SAVE_TOO_LATE' }));
      return this;
    }
    context.saved = copyJson(attributesOf(this));
    later(cb);
    return this;
  }

  /** Go back to the last saved state (the gateway's, or the last `save()` of this request), as a new object. */
  reload(cb?: Callback): this {
    const context = contexts.get(this)!;
    context.req.session = new Session(context, copyJson(context.saved));
    later(cb);
    return this;
  }

  /** The gateway refreshes the idle timeout on every request; kept for express-session compatibility. */
  touch(): this {
    return this;
  }

  resetMaxAge(): this {
    return this;
  }
}
