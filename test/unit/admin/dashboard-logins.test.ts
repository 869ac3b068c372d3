import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DASHBOARD_COOKIE, DashboardLogins } from '../../../gateway/admin/dashboard-logins.js';

describe('dashboard logins', () => {
  it('a login is an HttpOnly SameSite=Strict cookie with a CSRF token that must come back on state changes', () => {
    const logins = new DashboardLogins();
    const login = logins.create();
    const cookie = logins.cookieFor(login);
    assert.match(cookie, new RegExp(`^${DASHBOARD_COOKIE}=${login.id}; `));
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const headers = { cookie: `other=1; ${DASHBOARD_COOKIE}=${login.id}` };
    assert.equal(logins.fromRequest(headers)?.id, login.id);
    assert.equal(logins.csrfMatches(login, headers), false);
    assert.equal(logins.csrfMatches(login, { ...headers, 'x-csrf-token': 'x' + login.csrf.slice(1) }), false);
    assert.equal(logins.csrfMatches(login, { ...headers, 'x-csrf-token': login.csrf }), true);
    assert.equal(logins.fromRequest({ cookie: `${DASHBOARD_COOKIE}=forged` }), null);
    logins.end(login.id);
    assert.equal(logins.fromRequest(headers), null, 'logged out');
  });

  it('times out after 30 idle minutes and after 8 hours whatever the activity', () => {
    let now = 0;
    const logins = new DashboardLogins(() => now);
    const idle = logins.create();
    const busy = logins.create();
    const cookie = (id: string) => ({ cookie: `${DASHBOARD_COOKIE}=${id}` });
    now += 29 * 60_000;
    assert.ok(logins.fromRequest(cookie(busy.id)));
    now += 2 * 60_000;
    assert.equal(logins.fromRequest(cookie(idle.id)), null);
    for (let t = 0; t < 8 * 60; t += 20) {
      now += 20 * 60_000;
      if (now > 8 * 3600_000) break;
      assert.ok(logins.fromRequest(cookie(busy.id)), `busy at ${now / 60_000} min`);
    }
    now += 20 * 60_000;
    assert.equal(logins.fromRequest(cookie(busy.id)), null);
  });
});
