import { setTimeout as sleep } from 'node:timers/promises';
import { AdminOperationError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DashboardHistory } from './dashboard-history.js';
import { DashboardLogins, sameSecret } from './dashboard-logins.js';
import type { RouteTable } from './route-table.js';

export interface DashboardRoutesOptions {
  /** ADMIN_TOKEN; null: no login (the listener is on loopback, docs/architecture.md §8). */
  token: string | null;
  logins: DashboardLogins;
  history: DashboardHistory;
  log: Logger;
}

/** A wrong token costs the caller this long: guessing is slow, and the log is not flooded at network speed. */
const FAILED_LOGIN_DELAY_MS = 1_000;

/**
 * The dashboard's own routes: its login (token → HttpOnly cookie + CSRF token), logout, "who am I", and the sampled
 * history its charts draw. Login, logout and the session probe are public (they are how one gets in); the browser
 * guard still refuses them cross-site, and a POST needs a JSON body.
 */
export function registerDashboardRoutes(routes: RouteTable, options: DashboardRoutesOptions): void {
  const { token, logins, history, log } = options;

  routes.get('/api/dashboard/session', (req) => {
    const login = logins.fromRequest(req.raw.headers);
    return { json: { tokenRequired: token !== null, authenticated: token === null || login !== null, csrf: login?.csrf ?? null } };
  }, { public: true });

  routes.post('/api/dashboard/login', async (req) => {
    if (token === null) return { json: { tokenRequired: false, authenticated: true, csrf: null } };
    const given = (await req.json()).token;
    if (typeof given !== 'string' || !sameSecret(given, token)) {
      log.warn({ event: 'admin.login_failed', remote: req.raw.socket.remoteAddress }, 'dashboard login with a wrong admin token');
      await sleep(FAILED_LOGIN_DELAY_MS);
      throw new AdminOperationError('SG_ADMIN_UNAUTHORIZED', 'wrong admin token', 401);
    }
    const login = logins.create();
    log.info({ event: 'admin.login', remote: req.raw.socket.remoteAddress }, 'dashboard login');
    return { json: { tokenRequired: true, authenticated: true, csrf: login.csrf }, headers: { 'set-cookie': logins.cookieFor(login) } };
  }, { public: true });

  routes.post('/api/dashboard/logout', (req) => {
    const login = logins.fromRequest(req.raw.headers);
    // Only the page that holds the CSRF token ends its login; the cookie is cleared either way.
    if (login && logins.csrfMatches(login, req.raw.headers)) logins.end(login.id);
    return { json: { authenticated: false }, headers: { 'set-cookie': DashboardLogins.clearingCookie() } };
  }, { public: true });

  routes.get('/api/dashboard/history', () => ({ json: { intervalMs: history.intervalMs, points: history.points() } }));
}
