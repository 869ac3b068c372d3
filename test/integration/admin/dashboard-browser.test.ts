import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chromium as playwright, type Browser, type Page } from 'playwright-core';
import { request } from 'undici';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { Browser as CookieClient } from '../../helpers/browser.js';
import { CHROMIUM } from '../../helpers/chromium.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { waitFor } from '../../helpers/wait-for.js';

const TOKEN = 'dashboard-test-token-0123456789';

interface BackendsReply { backends: Array<{ name: string; state: string }> }

/**
 * The dashboard as an operator uses it, in a real headless Chromium (Debian's, driven by playwright-core) at a
 * phone's width: log in with ADMIN_TOKEN, watch the charts fill, drain a backend (confirmed), force a logout
 * (confirmed), log out.
 */
describe('dashboard in a browser', () => {
  let backends: DemoBackend[];
  let gateway: GatewayUnderTest;
  let browser: Browser;
  let page: Page;
  let trafficTimer: NodeJS.Timeout;

  const api = async <T>(path: string, method: 'GET' | 'POST' = 'GET'): Promise<T> => {
    const res = await request(`${gateway.adminUrl}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
    return (await res.body.json()) as T;
  };
  // Polled through DevTools evaluation: the page's CSP (no eval) rules out playwright's waitForFunction.
  const until = (expression: string, what: string, timeoutMs = 30_000) => waitFor(async () => (await page.evaluate(expression)) === true, { what, timeoutMs });
  const state = async (name: string) => (await api<BackendsReply>('/api/backends')).backends.find((b) => b.name === name)!.state;

  before(async () => {
    backends = await Promise.all([startDemoBackend(), startDemoBackend()]);
    gateway = await startGateway({ backends: backends.map((b) => b.name), env: { ADMIN_TOKEN: TOKEN } });
    // Steady traffic, some of it 404, so the charts have something to draw.
    trafficTimer = setInterval(() => {
      for (const path of ['/api/whoami', '/api/whoami', '/no-such-page']) void request(`${gateway.url}${path}`).then((r) => r.body.dump(), () => {});
    }, 100);
    browser = await playwright.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    page = await browser.newPage({ viewport: { width: 420, height: 900 } });
  });

  after(async () => {
    clearInterval(trafficTimer);
    // Processes first: a browser that fails to close must not leave them running (they would keep this file alive).
    await gateway?.process.stop();
    await Promise.all((backends ?? []).map((b) => b.process.stop()));
    await browser?.close();
  });

  it('asks for the token once, in a login form, and a wrong one is refused', async () => {
    await page.goto(`${gateway.adminUrl}/`);
    await page.locator('#login-view').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#dashboard-view').isVisible(), false);
    await page.fill('#token', 'wrong');
    await page.click('#login-form button[type=submit]');
    await until(`document.getElementById('err').textContent === 'Wrong token.'`, 'the refusal shown');
    await gateway.process.waitForRecord((r) => r.event === 'admin.login_failed', 'the failed login logged');
    await page.fill('#token', TOKEN);
    await page.click('#login-form button[type=submit]');
    await page.locator('#dashboard-view').waitFor({ state: 'visible' });
    const cookies = await page.context().cookies();
    const cookie = cookies.find((c) => c.name === 'sg_admin')!;
    assert.ok(cookie, 'a session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(await page.evaluate(`document.cookie.includes('sg_admin')`), false, 'the page script cannot read it');
    assert.equal(await page.evaluate(`JSON.stringify({ ...sessionStorage, ...localStorage }).includes('dashboard-test-token')`), false, 'the token is not kept');
  });

  it('draws the last minutes: charts with data points, no horizontal scrolling at 420 px', async () => {
    // uPlot's own data arrays: [timestamps, requests/s, 4xx/s, 5xx/s].
    await until(`(() => {
      const c = window.sgDashboard.charts.requests;
      return c !== undefined && c.data[0].length >= 2 && c.data[1].some((v) => typeof v === 'number' && v > 0);
    })()`, 'a chart with data points', 60_000);
    const history = (await page.evaluate('window.sgDashboard.history.points')) as Array<Record<string, number | null>>;
    const last = history.at(-1)!;
    assert.ok(last.requestsPerSecond! > 0, JSON.stringify(last));
    assert.ok(last.clientErrorsPerSecond! > 0, 'the 404s are the 4xx series');
    assert.ok(last.p99Ms! > 0 && last.p50Ms! > 0, 'latency quantiles');
    assert.equal(await page.locator('.chart canvas').count(), 5);
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the 420 px viewport`);
  });

  it('drains a backend only after confirmation; Cancel changes nothing', async () => {
    const name = backends[0]!.name;
    const drain = page.locator(`button[data-op="drain"][data-name="${name}"]`);
    await drain.click();
    await page.locator('#confirm').waitFor({ state: 'visible' });
    assert.match(await page.locator('#confirm-text').innerText(), new RegExp(`Drain ${name.replace(/\./g, '\\.')}`));
    await page.click('#confirm-cancel');
    assert.equal(await state(name), 'READY');
    await drain.click();
    await page.click('#confirm-ok');
    await waitFor(async () => (await state(name)) === 'DRAINING' || (await state(name)) === 'MAINT', { what: 'the drain' });
    await page.locator(`button[data-op="ready"][data-name="${name}"]`).click();
    await page.click('#confirm-ok');
    await waitFor(async () => (await state(name)) === 'READY', { what: 'ready again' });
  });

  it('forces a logout, confirmed', async () => {
    const user = new CookieClient(gateway.url);
    assert.equal((await user.fetch('/api/login', { json: { user: 'alice' } })).status, 200);
    assert.equal((await user.fetch('/api/whoami')).json<{ principal: string }>().principal, 'alice');
    await page.fill('#principal', 'alice');
    await page.click('#lookup-form button[type=submit]');
    const kill = page.locator('button[data-kill]');
    await kill.waitFor({ state: 'visible' });
    await kill.click();
    await page.click('#confirm-ok');
    await until(`document.getElementById('sessions').textContent.includes('no live session')`, 'the session gone from the list');
    assert.equal((await user.fetch('/api/whoami')).json<{ principal: string | null }>().principal, null, 'alice is logged out');
  });

  it('a state change with the cookie but without the CSRF token is refused', async () => {
    const cookie = (await page.context().cookies()).find((c) => c.name === 'sg_admin')!;
    const res = await request(`${gateway.adminUrl}/api/backends/${encodeURIComponent(backends[1]!.name)}/drain`, {
      method: 'POST', headers: { cookie: `sg_admin=${cookie.value}`, 'content-type': 'application/json' }, body: '{}',
    });
    assert.equal(res.statusCode, 403);
    assert.equal(((await res.body.json()) as { error: { code: string } }).error.code, 'SG_ADMIN_CSRF');
    assert.equal(await state(backends[1]!.name), 'READY');
  });

  it('logs out: the cookie no longer opens the API and the login form is back', async () => {
    const cookie = (await page.context().cookies()).find((c) => c.name === 'sg_admin')!;
    await page.click('#logout');
    await page.locator('#login-view').waitFor({ state: 'visible' });
    const res = await request(`${gateway.adminUrl}/api/backends`, { headers: { cookie: `sg_admin=${cookie.value}` } });
    await res.body.dump();
    assert.equal(res.statusCode, 401);
    await page.reload();
    await page.locator('#login-view').waitFor({ state: 'visible' });
  });
});
