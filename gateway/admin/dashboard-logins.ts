import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { parse as parseCookie } from 'cookie';

/** The dashboard's session cookie on the admin listener (never the proxied apps' cookie: another port, another name). */
export const DASHBOARD_COOKIE = 'sg_admin';

/** How long a dashboard login lasts: idle, and at most (then the operator types the token again). */
const IDLE_MS = 30 * 60_000;
const ABSOLUTE_MS = 8 * 3600_000;
/** Logins kept at most; the oldest goes first (a script logging in in a loop cannot grow the map). */
const MAX_LOGINS = 1000;

export interface DashboardLogin {
  id: string;
  /** Sent back by the page as X-CSRF-Token on every state change. */
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
}

/** Compares two secrets in constant time (for equal lengths; a length mismatch says nothing about the content). */
export function sameSecret(given: string, wanted: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(wanted);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Dashboard logins (docs/architecture.md §8): ADMIN_TOKEN, typed once into the login page, is exchanged for a random
 * session id in an HttpOnly, SameSite=Strict cookie and a CSRF token the page holds in memory. The token itself never
 * stays in the browser. Kept in the admin process's memory: a restart of the gateway logs the dashboard out.
 */
export class DashboardLogins {
  readonly #logins = new Map<string, DashboardLogin>();
  readonly #clock: () => number;

  constructor(clock: () => number = Date.now) {
    this.#clock = clock;
  }

  create(): DashboardLogin {
    const now = this.#clock();
    const login = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(24).toString('base64url'), createdAt: now, lastSeenAt: now };
    this.#logins.set(login.id, login);
    if (this.#logins.size > MAX_LOGINS) this.#logins.delete(this.#logins.keys().next().value!);
    return login;
  }

  /** The live login the request's cookie names, touched; null when there is none or it timed out. */
  fromRequest(headers: IncomingHttpHeaders): DashboardLogin | null {
    const id = headers.cookie ? parseCookie(headers.cookie)[DASHBOARD_COOKIE] : undefined;
    if (!id) return null;
    const login = this.#logins.get(id);
    if (!login) return null;
    const now = this.#clock();
    if (now - login.lastSeenAt > IDLE_MS || now - login.createdAt > ABSOLUTE_MS) {
      this.#logins.delete(id);
      return null;
    }
    login.lastSeenAt = now;
    return login;
  }

  /** Does the request carry the login's CSRF token? */
  csrfMatches(login: DashboardLogin, headers: IncomingHttpHeaders): boolean {
    const given = headers['x-csrf-token'];
    return typeof given === 'string' && sameSecret(given, login.csrf);
  }

  end(id: string): void {
    this.#logins.delete(id);
  }

  /** The Set-Cookie of a login. */
  cookieFor(login: DashboardLogin): string {
    return `${DASHBOARD_COOKIE}=${login.id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${ABSOLUTE_MS / 1000}`;
  }

  /** The Set-Cookie that removes it. */
  static clearingCookie(): string {
    return `${DASHBOARD_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
  }
}
