import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { jwtVerify } from 'jose';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { Browser } from '../../helpers/browser.js';
import { startGateway, TEST_SECRET, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { TestRedis } from '../../helpers/redis-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { deriveHeaderKey } from '../../../gateway/config/env.js';
import { isBackgroundCommand } from '../../../scripts/bench/round-trip-probe.js';

interface WhoAmI { backend: string; pid: number; principal: string | null; counter: number; draft: string }

async function sessionKeys(redis: TestRedis): Promise<string[]> {
  // Admin-state keys (gateway/coord: heartbeats, backend states) are not sessions.
  return (await redis.client().keys('sg:v2:*')).filter((key) => !key.includes(':coord:'));
}

describe('sessions through the gateway, on Redis, across three demo backends', () => {
  let redis: TestRedis;
  let backends: DemoBackend[];
  let gateway: GatewayUnderTest;

  before(async () => {
    redis = await TestRedis.start();
    backends = await Promise.all([startDemoBackend(), startDemoBackend(), startDemoBackend()]);
    gateway = await startGateway({ backends: backends.map((b) => b.name), redisUrl: redis.url, serverExtra: 'set $session_login_grace 1s;' });
  });

  after(async () => {
    await gateway?.process.stop();
    await Promise.all((backends ?? []).map((b) => b.process.stop()));
    await redis?.close();
  });

  it('anonymous requests create no keys in Redis', async () => {
    const anon = new Browser(gateway.url);
    for (let i = 0; i < 6; i++) {
      const res = await anon.fetch('/api/whoami');
      assert.equal(res.status, 200);
      assert.equal(res.json<WhoAmI>().principal, null);
      assert.equal(res.headers['set-cookie'], undefined);
    }
    assert.deepEqual(await sessionKeys(redis), []);
  });

  it('a login is seen by every backend, with the counter and the draft, and survives a backend restart', async () => {
    const browser = new Browser(gateway.url);
    const login = await browser.fetch('/api/login', { json: { user: 'alice' } });
    assert.equal(login.status, 200);
    assert.ok(browser.cookies.get('gsid'), 'the gateway set the session cookie');
    for (let i = 0; i < 5; i++) assert.equal((await browser.fetch('/api/counter', { method: 'POST' })).status, 200);
    assert.equal((await browser.fetch('/api/draft', { method: 'PUT', json: { text: 'half-typed form — 한국어' } })).status, 200);

    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const who = (await browser.fetch('/api/whoami')).json<WhoAmI>();
      seen.add(who.backend);
      assert.equal(who.principal, 'alice');
      assert.equal(who.counter, 5);
      assert.equal(who.draft, 'half-typed form — 한국어');
    }
    assert.equal(seen.size, 3, 'the 30 requests were spread over all three backends');

    // Restart one backend process on the same port: no session state lived there.
    const victim = backends[1]!;
    await victim.process.stop('SIGTERM');
    backends[1] = await startDemoBackend({ port: victim.port });
    assert.notEqual(backends[1].process.pid, victim.process.pid);
    for (let i = 0; i < 9; i++) {
      const who = (await browser.fetch('/api/whoami')).json<WhoAmI>();
      assert.deepEqual([who.principal, who.counter, who.draft], ['alice', 5, 'half-typed form — 한국어']);
    }
  });

  it('the X-Session header is a JWT any library verifies, and carries no cookie value', async () => {
    const browser = new Browser(gateway.url);
    await browser.fetch('/api/login', { json: { user: 'bob' } });
    const seenHeaders = (await browser.fetch('/debug/headers')).json<Record<string, string>>();
    const token = seenHeaders['x-session'];
    assert.ok(token);
    const { payload, protectedHeader } = await jwtVerify(token, deriveHeaderKey({ SESSION_SECRET: TEST_SECRET })!);
    assert.equal(protectedHeader.alg, 'HS256');
    assert.equal(payload.sub, 'bob');
    assert.equal(typeof payload.sid, 'string');
    assert.ok(Number(payload.exp) - Number(payload.iat) <= 60);
    const cookieId = browser.cookies.get('gsid')!.split('.')[0]!;
    assert.ok(!JSON.stringify(seenHeaders).includes(cookieId), 'the backend never sees the cookie id');
    assert.equal(seenHeaders.cookie, undefined, 'the session cookie is removed from the Cookie header');
  });

  it('login rotates the cookie value; logout removes every key of the session', async () => {
    const browser = new Browser(gateway.url);
    await browser.fetch('/api/draft', { method: 'PUT', json: { text: 'before login' } });
    const anonymousCookie = browser.cookies.get('gsid');
    assert.ok(anonymousCookie, 'a write-back created the session lazily');
    await browser.fetch('/api/login', { json: { user: 'carol' } });
    const loggedInCookie = browser.cookies.get('gsid');
    assert.ok(loggedInCookie);
    assert.notEqual(loggedInCookie, anonymousCookie, 'session fixation defence: a new id at login');
    const who = (await browser.fetch('/api/whoami')).json<WhoAmI>();
    assert.deepEqual([who.principal, who.draft], ['carol', 'before login'], 'data kept across the rotation');
    // For the login grace the old cookie reaches the rotated session (a request in flight with it), and gets no cookie;
    // after it, the old cookie opens nothing.
    const inFlight = await new Browser(gateway.url).fetch('/api/whoami', { headers: { cookie: `gsid=${anonymousCookie}` } });
    assert.equal(inFlight.json<WhoAmI>().principal, 'carol');
    assert.equal(inFlight.headers['set-cookie'], undefined);
    await waitFor(async () => (await new Browser(gateway.url).fetch('/api/whoami', { headers: { cookie: `gsid=${anonymousCookie}` } })).json<WhoAmI>().principal === null,
      { what: 'the pre-login cookie to stop working after the grace' });

    const before = await sessionKeys(redis);
    assert.ok(before.length > 0);
    const logout = await browser.fetch('/api/logout', { method: 'POST' });
    assert.equal(logout.status, 200);
    assert.equal(browser.cookies.get('gsid'), undefined, 'the cookie is expired');
    const after = await sessionKeys(redis);
    const sid = (await redis.client().keys('sg:v2:*:p:carol'));
    assert.deepEqual(sid, [], 'no principal index entry left');
    assert.ok(after.length < before.length);
    assert.equal((await new Browser(gateway.url).fetch('/api/whoami', { headers: { cookie: `gsid=${loggedInCookie}` } })).json<WhoAmI>().principal, null);
  });

  it('50 concurrent increments of one session end at exactly 50', async () => {
    const browser = new Browser(gateway.url);
    await browser.fetch('/api/login', { json: { user: 'dave' } });
    const results = await Promise.all(Array.from({ length: 50 }, () => browser.fetch('/api/counter', { method: 'POST' })));
    assert.deepEqual(results.map((r) => r.status), Array(50).fill(200));
    assert.equal((await browser.fetch('/api/whoami')).json<WhoAmI>().counter, 50);
  });

  it('a client-sent X-Session header never reaches a backend', async () => {
    const anon = new Browser(gateway.url);
    const echoed = (await anon.fetch('/debug/headers', { headers: { 'x-session': 'forged', 'x-session-status': 'admin', 'X-Session-Login': 'root' } })).json<Record<string, string>>();
    assert.equal(echoed['x-session'], undefined);
    assert.equal(echoed['x-session-status'], undefined);
    assert.equal(echoed['x-session-login'], undefined);
    assert.ok(echoed['x-request-id']);
    assert.equal(echoed['x-forwarded-for'], '127.0.0.1');
  });

  it('a cookie with a bad signature is no session and costs no store round trip', async () => {
    const browser = new Browser(gateway.url);
    await browser.fetch('/api/login', { json: { user: 'erin' } });
    const good = browser.cookies.get('gsid')!;
    const forged = `${good.slice(0, 44)}${good[44] === 'A' ? 'B' : 'A'}${good.slice(45)}`;
    // MONITOR, not an INFO commandstats delta: the gateway's own timers (heartbeats, stats, the expiry sweep) may run
    // a command during the request, and MONITOR shows each command's key, so those are told apart as the bench does.
    const watcher = new Redis(redis.port, '127.0.0.1');
    const monitor = await watcher.monitor();
    const commands: string[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua' && !isBackgroundCommand(args)) commands.push(args.join(' '));
    });
    try {
      const res = await new Browser(gateway.url).fetch('/api/whoami', { headers: { cookie: `gsid=${forged}` } });
      assert.equal(res.status, 200);
      assert.equal(res.json<WhoAmI>().principal, null);
      // MONITOR lines trail the replies by a moment.
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      monitor.disconnect();
      watcher.disconnect();
    }
    assert.deepEqual(commands, [], 'no store command for a forged cookie');
    await gateway.process.waitForRecord((r) => r.code === 'SG_COOKIE_INVALID', 'a log line for the forged cookie');
  });

  it('a garbage Cookie header is no session; a 20 KB header is refused with 431', async () => {
    const garbage = await new Browser(gateway.url).fetch('/api/whoami', { headers: { cookie: '\u00ff;;=;gsid=%%%;gsid' } });
    assert.equal(garbage.status, 200);
    assert.equal(garbage.json<WhoAmI>().principal, null);
    const huge = await new Browser(gateway.url).fetch('/api/whoami', { headers: { 'x-filler': 'a'.repeat(20 * 1024) } });
    assert.equal(huge.status, 431);
    assert.match(huge.text, /SG_HEADERS_TOO_LARGE/);
    await gateway.process.waitForRecord((r) => r.code === 'SG_HEADERS_TOO_LARGE', 'a log line for the 431');
  });
});
