import { randomBytes } from 'node:crypto';
import { parse as parseCookie, serialize as serializeCookie } from 'cookie';
import type { SessionSettings } from '../config/settings.js';
import { LoginRejectedError, SessionRateLimitedError, StoreFullError, StoreUnavailableError, WriteBackError, GatewayError } from '../errors.js';
import { CookieSigner, newHandle, storageKeyOf } from './cookie.js';
import { SessionCreationLimiter } from './creation-limiter.js';
import { mintIdInBucket } from './key-placement.js';
import { attributeBudget, signSessionHeader } from './header-jwt.js';
import { HeaderTokenCache } from './header-token-cache.js';
import { attributesOf, type CommitResult, type LoadResult, type SessionStore, type StoredSession } from './store.js';
import { hasAttributeOps, type WriteBack } from './write-back.js';

/** What the gateway knows of a request's session after the one store round trip. */
export interface RequestSession {
  /** The client sent a cookie of ours with a valid signature. */
  cookieValid: boolean;
  /** The client sent a cookie with the session name whose signature failed (logged, treated as no cookie). */
  cookieForged: boolean;
  key: string | null;
  session: StoredSession | null;
  /** The cookie named a session the store no longer has (expired, killed, evicted). */
  stale: boolean;
  expired: 'idle' | 'absolute' | null;
  evicted: boolean;
  /** Who a new session would count against (`$session_create_rate`); null = not counted. */
  client: string | null;
}

export const NO_SESSION: RequestSession = Object.freeze({
  cookieValid: false, cookieForged: false, key: null, session: null, stale: false, expired: null, evicted: false, client: null,
});

const VERIFIED_COOKIE_CACHE_SIZE = 10_000;

export interface SessionServiceOptions {
  store: SessionStore;
  secrets: readonly string[];
  headerKey: Buffer;
  clock?: () => number;
}

export interface CommitOutcome {
  /** Set-Cookie value to send, if the cookie changes (new session, rotation, logout). */
  setCookie: string | null;
  result: Extract<CommitResult, { ok: true }> | null;
  /** Handle of the session a Logout + Update ended (the result is then the new session). */
  ended?: string;
}

const NO_OPS = Object.freeze({ set: new Map<string, string>(), unset: [] as string[], incr: new Map<string, number>() });

/**
 * Session work of the request path: read the cookie, load-and-touch in one round trip, sign the X-Session header,
 * and apply a backend's write-back atomically. Knows nothing of HTTP servers or backends.
 */
export class SessionService {
  readonly store: SessionStore;
  readonly #signer: CookieSigner;
  readonly #headerKey: Buffer;
  readonly #clock: () => number;
  readonly #verified = new Map<string, string>();
  readonly #creations = new SessionCreationLimiter();
  readonly #tokens = new HeaderTokenCache();

  constructor(options: SessionServiceOptions) {
    this.store = options.store;
    this.#signer = new CookieSigner(options.secrets);
    this.#headerKey = options.headerKey;
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * Cookie value → storage key, for values whose signature verified: a busy session's cookie is checked with two
   * hashes once, not on every request. Only verified values are kept; the map is bounded and simply starts over when
   * full (a miss costs the same as no cache).
   */
  #storageKeyOfCookie(value: string): string | null {
    const cached = this.#verified.get(value);
    if (cached !== undefined) return cached;
    const id = this.#signer.verify(value);
    if (id === null) return null;
    const key = storageKeyOf(id);
    if (this.#verified.size >= VERIFIED_COOKIE_CACHE_SIZE) this.#verified.clear();
    this.#verified.set(value, key);
    return key;
  }

  now(): number {
    return this.#clock();
  }

  /** The raw cookie value of the session cookie, if the header has one (a garbage header yields none). */
  cookieValueOf(cookieHeader: string | undefined, cookieName: string): string | undefined {
    if (!cookieHeader || !cookieHeader.includes(cookieName)) return undefined;
    try {
      return parseCookie(cookieHeader)[cookieName];
    } catch {
      return undefined;
    }
  }

  /**
   * The request's session, after one store round trip; `client` is who a session it creates counts against. The
   * store is awaited here rather than in a helper: each async layer costs the request path microtask turns.
   */
  async loadSession(cookieHeader: string | undefined, settings: SessionSettings, client: string | null = null): Promise<RequestSession> {
    const value = this.cookieValueOf(cookieHeader, settings.cookieName);
    if (value === undefined) return client === null ? NO_SESSION : { ...NO_SESSION, client };
    const key = this.#storageKeyOfCookie(value);
    if (key === null) return { ...NO_SESSION, cookieForged: true, client };
    let result: LoadResult;
    try {
      result = await this.store.load(key, {
        now: this.#clock(),
        idleTimeoutMs: settings.idleTimeoutMs,
        absoluteTimeoutMs: settings.absoluteTimeoutMs,
        // Refresh last-access at most every idle/10 (capped at a minute): the idle timeout keeps that much slack.
        touchAfterMs: Math.min(60_000, Math.floor(settings.idleTimeoutMs / 10)),
      });
    } catch (err) {
      throw err instanceof GatewayError ? err : new StoreUnavailableError('session store read failed', { cause: err });
    }
    if (result.found) {
      return { cookieValid: true, cookieForged: false, key, session: result.session, stale: false, expired: null, evicted: false, client };
    }
    const evicted = (result as { evicted?: boolean }).evicted === true;
    return { cookieValid: true, cookieForged: false, key, session: null, stale: true, expired: result.expired, evicted, client };
  }

  /** The X-Session header value for a loaded session (null without one); reused within a second while unchanged. */
  hydrate(rs: RequestSession, settings: SessionSettings): string | null {
    const session = rs.session;
    if (!session) return null;
    const now = this.#clock();
    const idle = Math.floor(settings.idleTimeoutMs / 1000);
    const end = session.createdAt + settings.absoluteTimeoutMs;
    return this.#tokens.tokenFor(session, settings.scope, { second: Math.floor(now / 1000), idle, end }, () =>
      signSessionHeader(
        {
          sid: session.handle,
          ...(session.principal !== null ? { sub: session.principal } : {}),
          data: attributesOf(session, settings.scope),
          ct: session.createdAt,
          la: session.lastAccessAt,
          idle,
          end,
        },
        this.#headerKey,
        now,
      ),
    );
  }

  /**
   * Apply a backend's write-back: all of it or nothing. Throws WriteBackError (502), LoginRejectedError (409),
   * SessionRateLimitedError (429) or StoreUnavailableError (503); on any throw the stored session is as it was.
   */
  async applyWriteBack(rs: RequestSession, writeBack: WriteBack, settings: SessionSettings, backend: string | null, secure: boolean): Promise<CommitOutcome> {
    if (writeBack.logout && (writeBack.ops.set.size > 0 || writeBack.ops.incr.size > 0)) return this.#startOver(rs, writeBack, settings, backend, secure);
    if (writeBack.logout && !rs.session) {
      return { setCookie: rs.cookieValid ? this.expiredCookie(settings, secure) : null, result: null };
    }
    if (!writeBack.logout && writeBack.login === null && !hasAttributeOps(writeBack.ops) && !rs.session) {
      return { setCookie: null, result: null };
    }
    if (!rs.session) this.#countCreation(rs.client, settings);
    const minted = this.#mintFor(writeBack.login);
    const newKey = storageKeyOf(minted.id);
    let result: CommitResult;
    try {
      result = await this.store.commit({
        now: this.#clock(),
        // Where the session lives now: a load through the login alias found it under its rotated key.
        key: rs.session ? rs.session.key : null,
        newKey,
        newHandle: newHandle(),
        token: randomBytes(12).toString('base64url'),
        ops: writeBack.ops,
        login: writeBack.login !== null
          ? { principal: writeBack.login, maxPerPrincipal: settings.maxPerPrincipal, onLimit: settings.onLimit, graceMs: settings.loginGraceMs }
          : null,
        logout: writeBack.logout,
        maxBytes: attributeBudget(settings.maxBytes, settings),
        idleTimeoutMs: settings.idleTimeoutMs,
        absoluteTimeoutMs: settings.absoluteTimeoutMs,
        backend,
        replication: settings.waitReplicas > 0 ? { replicas: settings.waitReplicas, timeoutMs: settings.waitTimeoutMs } : null,
      });
    } catch (err) {
      throw err instanceof GatewayError ? err : new StoreUnavailableError('session store write failed', { cause: err });
    }
    if (!result.ok) {
      switch (result.code) {
        case 'SG_WRITEBACK_TOO_LARGE':
          throw new WriteBackError('SG_WRITEBACK_TOO_LARGE', `the session would take ${result.size} bytes of the X-Session header, over the ${attributeBudget(settings.maxBytes, settings)} that $session_max_bytes ${settings.maxBytes} leaves for attributes`);
        case 'SG_WRITEBACK_NOT_NUMBER':
          throw new WriteBackError('SG_WRITEBACK_NOT_NUMBER', `"incr" of an attribute whose value is not an integer`);
        case 'SG_LOGIN_REJECTED':
          throw new LoginRejectedError(`the principal already has ${result.live} live session(s), the limit is ${settings.maxPerPrincipal}`);
        case 'SG_STORE_FULL':
          throw new StoreFullError(`the embedded session store is full (SESSION_MEMORY_MAX ${result.limit} bytes): no new session until some end`);
      }
    }
    if (result.destroyed) return { setCookie: this.expiredCookie(settings, secure), result };
    const setCookie = result.key === newKey ? this.cookie(minted.value, settings, secure) : null;
    return { setCookie, result };
  }

  /** A new id; for a login on a sharded store, one whose key lands in the principal's bucket (key-placement.ts). */
  #mintFor(login: string | null): { id: string; value: string } {
    const bucket = login !== null ? (this.store.placementOf?.(login) ?? null) : null;
    if (bucket === null) return this.#signer.mint();
    return this.#signer.sign(mintIdInBucket(bucket, storageKeyOf).id);
  }

  /**
   * Logout + an Update that sets something: end the session and start a new anonymous one that holds only the update's attributes (new
   * cookie, new sid) — what HttpSession.invalidate() followed by getSession(true), or Django's flush(), means. The new
   * session is made first, so a refusal or a store failure leaves the old one as it was; if ending the old one then
   * fails, the client gets the 503 and keeps its old cookie (the new session is never handed out and times out).
   */
  async #startOver(rs: RequestSession, writeBack: WriteBack, settings: SessionSettings, backend: string | null, secure: boolean): Promise<CommitOutcome> {
    // Starting over from a live session is no new client's creation; from none it is.
    const fresh = await this.applyWriteBack({ ...NO_SESSION, client: rs.session ? null : rs.client }, { ops: writeBack.ops, login: null, logout: false }, settings, backend, secure);
    if (!rs.session) return fresh;
    const ended = await this.applyWriteBack(rs, { ops: NO_OPS, login: null, logout: true }, settings, backend, secure);
    return ended.result?.destroyed ? { ...fresh, ended: ended.result.handle } : fresh;
  }

  /** `$session_create_rate`: throws SessionRateLimitedError (429) when the client is over it. */
  #countCreation(client: string | null, settings: SessionSettings): void {
    if (client === null) return;
    const wait = this.#creations.take(client, { ratePerSecond: settings.createRatePerSecond, burst: settings.createBurst }, this.#clock());
    if (wait > 0) {
      throw new SessionRateLimitedError(`client ${client} creates sessions faster than $session_create_rate ${formatRate(settings.createRatePerSecond)} allows (burst ${settings.createBurst})`, wait);
    }
  }

  cookie(value: string, settings: SessionSettings, secureConnection: boolean): string {
    return serializeCookie(settings.cookieName, value, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: settings.cookieSecure === 'always' || (settings.cookieSecure === 'auto' && secureConnection),
    });
  }

  expiredCookie(settings: SessionSettings, secureConnection: boolean): string {
    return serializeCookie(settings.cookieName, '', {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      maxAge: 0,
      expires: new Date(0),
      secure: settings.cookieSecure === 'always' || (settings.cookieSecure === 'auto' && secureConnection),
    });
  }
}

function formatRate(perSecond: number): string {
  return Number.isInteger(perSecond) ? `${perSecond}r/s` : `${Math.round(perSecond * 60)}r/m`;
}
