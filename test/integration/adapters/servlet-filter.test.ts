import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { signSessionHeader } from '../../../gateway/session/header-jwt.js';
import { emptyStats } from '../../helpers/framework-virtual-users.js';
import { Browser, type BrowserResponse } from '../../helpers/browser.js';
import { startGateway, TEST_SECRET, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { buildRoot } from '../../helpers/paths.js';
import { TestRedis } from '../../helpers/redis-server.js';
import { buildServletFixtures, servletExamples, TomcatNode } from '../../helpers/tomcat.js';
import { waitFor } from '../../helpers/wait-for.js';
import { lastJson, runCli } from '../rollout/cli-run.js';
import { EGOV_PORTAL, JavaAppUser, SHOP, type JavaLoadStats } from './java-app-users.js';

/**
 * Issue 12, "done when": unchanged Java web applications behind the gateway on Redis, their session in the gateway
 * through the Servlet filter alone — the servlet + JSP shop on two Tomcat 10 (jakarta jar), the eGovFrame-style
 * Spring MVC 4.3 portal on two Tomcat 9 (javax jar) under /egov/, one login for both, and a rolling restart of all
 * four Tomcats under load that loses nothing.
 */
describe('the Servlet filter: Java apps on Tomcat 10 and 9 with their HttpSession in the gateway', { timeout: 600_000 }, () => {
  let redis: TestRedis;
  let gateway: GatewayUnderTest;
  let shop: TomcatNode[] = [];
  let portal: TomcatNode[] = [];
  let pidDir: string;
  let launcher: string;
  let healthRoot: string;

  before(async () => {
    launcher = await buildServletFixtures();
    pidDir = mkdtempSync(join(tmpdir(), 'sg-tomcat-pids-'));
    // Tomcat 9 serves the portal under /egov and a health file at its root (the gateway checks one path per server).
    healthRoot = mkdtempSync(join(tmpdir(), 'sg-health-'));
    writeFileSync(join(healthRoot, 'healthz'), 'ok\n');
    const env = { SESSION_SECRET: TEST_SECRET, SESSION_HEADER_SECRET: '' };
    redis = await TestRedis.start();
    const started = await Promise.all([
      TomcatNode.start({ version: 10, launcher, apps: { '': join(servletExamples, 'shop') }, env, pidDir }),
      TomcatNode.start({ version: 10, launcher, apps: { '': join(servletExamples, 'shop') }, env, pidDir }),
      TomcatNode.start({ version: 9, launcher, apps: { '/egov': join(servletExamples, 'egov-portal'), '': healthRoot }, env, pidDir }),
      TomcatNode.start({ version: 9, launcher, apps: { '/egov': join(servletExamples, 'egov-portal'), '': healthRoot }, env, pidDir }),
    ]);
    shop = started.slice(0, 2);
    portal = started.slice(2);
    gateway = await startGateway({
      backends: shop.map((t) => t.name),
      redisUrl: redis.url,
      httpExtra: `upstream egov {\n${portal.map((t) => `    server ${t.name};`).join('\n')}\n    keepalive 16;\n  }`,
      serverExtra: 'set $health_check_interval 500ms;',
      locations: 'location / { proxy_pass http://app; }\n    location /egov/ { proxy_pass http://egov; }',
      env: { LOG_LEVEL: 'info' },
    });
    await waitFor(async () => {
      const res = await request(`${gateway.adminUrl}/api/backends`);
      const body = (await res.body.json()) as { backends: Array<{ health: string }> };
      return body.backends.length === 4 && body.backends.every((b) => b.health === 'HEALTHY');
    }, { timeoutMs: 60_000, what: 'all four Tomcats healthy' });
  });

  after(async () => {
    await gateway?.process.stop();
    await Promise.all([...shop, ...portal].map((t) => t.stop()));
    await redis?.close();
    for (const dir of [pidDir, launcher, healthRoot]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** No container session ever reaches the client: no JSESSIONID cookie, no ;jsessionid= in a page. */
  function noContainerSession(res: BrowserResponse): BrowserResponse {
    const cookies = res.headers['set-cookie'];
    assert.ok(!/jsessionid/i.test(String(cookies ?? '')), `a container session cookie: ${String(cookies)}`);
    assert.ok(!/jsessionid/i.test(res.text), 'a ;jsessionid= in the page');
    return res;
  }

  async function form(browser: Browser, path: string, fields: Record<string, string>): Promise<BrowserResponse> {
    return noContainerSession(await browser.fetch(path, { method: 'POST', body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
  }

  async function get(browser: Browser, path: string): Promise<BrowserResponse> {
    const res = noContainerSession(await browser.fetch(path));
    assert.equal(res.status, 200, `${path}: ${res.status} ${res.text.slice(0, 200)}`);
    return res;
  }

  async function status<T = Record<string, unknown>>(browser: Browser, path = '/status'): Promise<T> {
    return (await get(browser, path)).json<T>();
  }

  async function sessionsOf(principal: string): Promise<number> {
    const res = await request(`${gateway.adminUrl}/api/sessions?principal=${encodeURIComponent(principal)}`);
    return ((await res.body.json()) as { count: number }).count;
  }

  function logged(nodes: TomcatNode[], pattern: RegExp): Promise<string> {
    return waitFor(() => nodes.flatMap((t) => t.lines()).find((l) => pattern.test(l)), { timeoutMs: 15_000, what: `a log line ${pattern}` });
  }

  describe('servlets and a JSP on two Tomcat 10 (jakarta)', () => {
    it('anonymous pages make no session and no cookie of any kind', async () => {
      const browser = new Browser(gateway.url);
      const ports = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const page = await get(browser, '/');
        assert.match(page.text, /Not signed in/);
        assert.equal(page.headers['set-cookie'], undefined);
        ports.add(/served by port (\d+)/.exec(page.text)![1]!);
      }
      assert.equal(ports.size, 2, 'both Tomcats served');
    });

    it('invalidate-then-new-session login keeps the copied draft; the VO, Integer, Long, Double, Date and HashMap keep their types on both Tomcats', async () => {
      const browser = new Browser(gateway.url);
      assert.equal((await form(browser, '/draft', { text: 'half-typed 메시지' })).status, 204);
      const anonymousCookie = browser.cookies.get('gsid');
      assert.ok(anonymousCookie, 'the autosave created the session');
      assert.equal((await form(browser, '/counter', {})).json<{ counter: number }>().counter, 1);

      const login = await form(browser, '/login', { id: 'alice', name: 'Alice' });
      assert.equal(login.status, 302);
      assert.notEqual(browser.cookies.get('gsid'), anonymousCookie, 'the login rotated the session cookie');
      const seen = new Set<number>();
      for (let i = 0; i < 4; i++) {
        const s = await status<{ user: string; name: string; draft: string; counter: unknown; isNew: boolean; port: number; types: Record<string, string> }>(browser);
        assert.equal(s.user, 'alice');
        assert.equal(s.name, 'Alice');
        assert.equal(s.draft, 'half-typed 메시지', 'what the login copied over is kept');
        assert.equal(s.counter, null, 'what it did not copy is gone with the old session');
        assert.equal(s.isNew, false);
        assert.deepEqual(s.types, {
          loginVO: 'egovframework.com.cmm.LoginVO', userNo: 'java.lang.Long', points: 'java.lang.Double', lastLogin: 'java.util.Date',
          prefs: 'java.util.HashMap', draft: 'java.lang.String',
        });
        seen.add(s.port);
      }
      assert.equal(seen.size, 2, 'both Tomcats read the same session');
      for (const expected of [1, 2, 3]) assert.equal((await form(browser, '/counter', {})).json<{ counter: number }>().counter, expected);
      assert.equal((await status<{ types: Record<string, string> }>(browser)).types.counter, 'java.lang.Integer');
      assert.equal(await sessionsOf('alice'), 1, 'the gateway holds the login');
      const page = await get(browser, '/');
      assert.match(page.text, /Signed in as <strong>Alice<\/strong> \(alice\)/);
      assert.match(page.text, /Visits: 3/);
    });

    it('a cart changed in place after getAttribute is saved without a second setAttribute', async () => {
      const browser = new Browser(gateway.url);
      await form(browser, '/login', { id: 'carol' });
      await form(browser, '/cart', { item: 'apple' });
      await form(browser, '/cart', { item: 'pear' });
      await form(browser, '/cart', { item: 'fig' });
      assert.equal((await status<{ cart: string }>(browser)).cart, '[apple, pear, fig]');
    });

    it('logout ends the session in the gateway; the HttpSessionListener of the listeners init-param sees creation and destruction', async () => {
      const counts = async () => {
        let created = 0;
        let destroyed = 0;
        for (const t of shop) {
          const s = (await (await request(`${t.url}/status`)).body.json()) as { sessionsCreated: number; sessionsDestroyed: number };
          created += s.sessionsCreated;
          destroyed += s.sessionsDestroyed;
        }
        return { created, destroyed };
      };
      const before = await counts();
      const browser = new Browser(gateway.url);
      await form(browser, '/login', { id: 'dave' });
      assert.equal((await counts()).created, before.created + 1);
      const logout = await form(browser, '/logout', {});
      assert.equal(logout.status, 302);
      assert.equal(browser.cookies.get('gsid'), undefined, 'the session cookie is expired');
      assert.equal(await sessionsOf('dave'), 0);
      assert.equal((await status<{ user?: string }>(browser)).user, undefined, 'no session any more');
      assert.equal((await counts()).destroyed, before.destroyed + 1);
    });

    it('a change made while the body is still buffered is saved; one made after the commit is logged, not silently dropped', async () => {
      const browser = new Browser(gateway.url);
      await form(browser, '/login', { id: 'erin' });
      assert.match((await get(browser, '/export?rows=10')).text, /^order,item,amount/);
      assert.equal((await status<{ lastExportRows: number }>(browser)).lastExportRows, 10);
      const big = await get(browser, '/export?rows=6000');
      assert.equal(big.text.trim().split('\n').length, 6001, 'the whole export arrived');
      assert.equal((await status<{ lastExportRows: number }>(browser)).lastExportRows, 10, 'the late change did not reach the gateway');
      await logged(shop, /SG_SERVLET_CHANGED_AFTER_COMMIT: session \[lastExportRows\] changed after the response was committed.*GET \/export\?rows=6000/);
    });

    it('a value over the session size cap fails where it is set, with SG_SERVLET_SESSION_TOO_LARGE in the log; the session is unchanged', async () => {
      const browser = new Browser(gateway.url);
      await form(browser, '/login', { id: 'frank' });
      const res = await form(browser, '/note', { text: 'x'.repeat(9000) });
      assert.equal(res.status, 500);
      assert.match(res.text, /<h1 id="sorry">Sorry, frank: that did not work.<\/h1>/, 'the error page (an ERROR dispatch) reads the session too');
      await logged(shop, /SG_SERVLET_SESSION_TOO_LARGE: setting session attribute "note" would make the session \d+ bytes/);
      const s = await status<{ user: string; note: unknown }>(browser);
      assert.equal(s.user, 'frank');
      assert.equal(s.note, null);
    });

    it('an async servlet (startAsync, answered from another thread) saves its session change before complete()', async () => {
      const browser = new Browser(gateway.url);
      await form(browser, '/login', { id: 'heidi' });
      for (const expected of [1, 2]) assert.deepEqual((await get(browser, '/orders/poll')).json(), { order: 'shipped', polls: expected });
      assert.equal((await status<{ polls: number }>(browser)).polls, 2);
    });

    it('a user id beyond ASCII is the gateway principal as it is', async () => {
      const browser = new Browser(gateway.url);
      await form(browser, '/login', { id: '김철수' });
      assert.equal((await status<{ user: string }>(browser)).user, '김철수');
      assert.equal(await sessionsOf('김철수'), 1);
    });

    it('straight to Tomcat, without the gateway: anonymous; a forged X-Session is refused and logged', async () => {
      const direct = new Browser(shop[0]!.url);
      assert.equal((await status<{ user?: string }>(direct)).user, undefined);
      const now = Date.now();
      const forged = signSessionHeader({ sid: 'forged', sub: 'mallory', data: {}, ct: now, la: now, idle: 1800, end: now + 86_400_000 }, Buffer.from('not-the-gateway-key-0123456789'), now);
      const res = await direct.fetch('/status', { headers: { 'x-session': forged } });
      const body = res.json<{ user?: string; remoteUser: string | null }>();
      assert.equal(body.user, undefined);
      assert.equal(body.remoteUser, null);
      await logged(shop, /SG_SERVLET_TOKEN_INVALID: X-Session header refused \(bad signature\)/);
    });
  });

  describe('the eGovFrame-style Spring MVC 4.3 portal on two Tomcat 9 (javax)', () => {
    it('JSP views with JSTL, anonymous: a guest page and no session', async () => {
      const page = await get(new Browser(gateway.url), '/egov/main.do');
      assert.match(page.text, /<p id="welcome">Guest<\/p>/);
      assert.match(page.text, /href="\/egov\/uat\/uia\/egovLoginUsr.do"/, 'c:url encodes no session id');
      assert.equal(page.headers['set-cookie'], undefined);
    });

    it('login: LoginVO bound by @ModelAttribute, stored after invalidate(), read through RequestContextHolder; the flash message shows once', async () => {
      const browser = new Browser(gateway.url);
      const refused = await form(browser, '/egov/uat/uia/actionLogin.do', { id: 'hong', password: 'wrong' });
      assert.equal(refused.status, 302);
      assert.match((await get(browser, '/egov/uat/uia/egovLoginUsr.do')).text, /로그인 정보가 올바르지 않습니다/);

      const login = await form(browser, '/egov/uat/uia/actionLogin.do', { id: 'hong', password: 'egov1234' });
      assert.equal(login.status, 302);
      assert.match(String(login.headers.location), /\/egov\/main\.do$/);
      const main = await get(browser, '/egov/main.do');
      assert.match(main.text, /<p id="welcome">Welcome 홍길동 \(hong\)<\/p>/);
      assert.match(main.text, /<p id="message">Welcome, 홍길동<\/p>/);
      const again = await get(browser, '/egov/main.do');
      assert.match(again.text, /Welcome 홍길동 \(hong\)/);
      assert.doesNotMatch(again.text, /id="message"/, 'a flash attribute is shown once');
      assert.equal(await sessionsOf('hong'), 1);
    });

    it('@ResponseBody counter and a 204 autosave are one session on both Tomcats; the locale chosen with ?lang stays a Locale', async () => {
      const browser = new Browser(gateway.url);
      await form(browser, '/egov/uat/uia/actionLogin.do', { id: 'admin', password: 'egov1234' });
      for (const expected of [1, 2, 3]) assert.equal((await form(browser, '/egov/cmm/counter.do', {})).json<{ counter: number }>().counter, expected);
      assert.equal((await form(browser, '/egov/cmm/draft.do', { text: '게시판 초안' })).status, 204);
      assert.match((await get(browser, '/egov/main.do?lang=ko')).text, /Locale: ko/);
      const ports = new Set<number>();
      for (let i = 0; i < 4; i++) {
        const who = await status<{ principal: string; counter: number; draft: string; locale: string; port: number }>(browser, '/egov/cmm/whoami.do');
        assert.deepEqual([who.principal, who.counter, who.draft, who.locale], ['admin', 3, '게시판 초안', 'java.util.Locale:ko']);
        ports.add(who.port);
      }
      assert.equal(ports.size, 2);
      assert.match((await get(browser, '/egov/main.do')).text, /Locale: ko/);
    });

    it('logout by removing loginVO, with a flash message after the redirect: the login ends, the rest of the session stays', async () => {
      const browser = new Browser(gateway.url);
      await form(browser, '/egov/uat/uia/actionLogin.do', { id: 'hong', password: 'egov1234' });
      await get(browser, '/egov/main.do');
      await form(browser, '/egov/cmm/counter.do', {});
      const loggedInCookie = browser.cookies.get('gsid');
      const logout = await form(browser, '/egov/uat/uia/actionLogout.do', {});
      assert.equal(logout.status, 302);
      assert.notEqual(browser.cookies.get('gsid'), loggedInCookie, 'a new session cookie');
      const main = await get(browser, '/egov/main.do');
      assert.match(main.text, /<p id="welcome">Guest<\/p>/);
      assert.match(main.text, /<p id="message">You have been logged out.<\/p>/);
      const who = await status<{ principal: unknown; counter: number }>(browser, '/egov/cmm/whoami.do');
      assert.equal(who.principal, null);
      assert.equal(who.counter, 1, 'what the application did not remove is still there');
    });

    it("Spring's habits after the view committed the response (accessed attributes set again, getSession(false).getId()) are no change and log nothing", () => {
      const lines = portal.flatMap((t) => t.lines());
      assert.ok(lines.some((l) => l.includes('SG_SERVLET_STARTED')), 'the portal logs are read');
      assert.deepEqual(lines.filter((l) => /SG_SERVLET_(CHANGED_AFTER_COMMIT|FINISH_FAILED|NOT_SERIALIZABLE)/.test(l)), []);
    });
  });

  describe('single sign-on across the two Java applications', () => {
    it('a login on the Tomcat 10 shop is the login of the Tomcat 9 portal, and a logout on the portal logs out of the shop', async () => {
      const browser = new Browser(gateway.url);
      await form(browser, '/login', { id: 'grace', name: 'Grace' });
      assert.match((await get(browser, '/egov/main.do')).text, /<p id="welcome">Welcome Grace \(grace\)<\/p>/);
      await form(browser, '/egov/uat/uia/actionLogout.do', {});
      assert.equal((await status<{ user: unknown }>(browser)).user, null);
      assert.match((await get(browser, '/')).text, /Not signed in/);
      assert.equal(await sessionsOf('grace'), 0);
    });
  });

  describe('rolling restart', () => {
    it('logins, counters and drafts of both applications survive a rolling restart of all four Tomcats under load: 0 failed requests', async () => {
      const stats: JavaLoadStats = { ...emptyStats(), containerSessionCookies: 0 };
      const agent = new Agent({ connections: 64 });
      const users = [
        ...Array.from({ length: 16 }, (_, i) => new JavaAppUser(`shopper-${i}`, gateway.url, SHOP, agent, stats)),
        ...Array.from({ length: 8 }, (_, i) => new JavaAppUser(`clerk-${i}`, gateway.url, EGOV_PORTAL, agent, stats)),
      ];
      const logins = await Promise.all(users.map((u) => u.login()));
      assert.ok(logins.every(Boolean), `every user logged in: ${JSON.stringify(stats.samples)}`);
      const pidsBefore = [...shop, ...portal].map((t) => t.pid);
      let stop = false;
      const load = Promise.all(users.map((u) => u.run(() => stop, 20)));
      const rollout = await runCli(
        ['rolling-restart', '--admin', gateway.adminUrl, '--exec', `${process.execPath} ${join(buildRoot, 'backends', 'restart-demo-backend.js')} {port}`,
          '--settle', '0.5', '--drain-timeout', '20', '--ready-timeout', '120', '--json'],
        { SESSION_GATEWAY_DEMO_DIR: pidDir },
        400_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      stop = true;
      await load;
      await agent.close();
      process.stderr.write(`java rolling restart: ${stats.requests} requests, ${JSON.stringify(stats.statuses)}, ${JSON.stringify(stats.backendsSeen)}\n${rollout.stderr}\n`);
      assert.equal(rollout.code, 0, `rollout: ${rollout.stdout}\n${rollout.stderr}`);
      assert.equal(lastJson<{ ok: boolean }>(rollout).ok, true);
      assert.equal(stats.non2xx, 0, `non-2xx: ${JSON.stringify(stats.statuses)} ${JSON.stringify(stats.samples)}`);
      assert.equal(stats.socketErrors, 0, `socket errors: ${JSON.stringify(stats.errorCodes)}`);
      assert.equal(stats.sessionsReset, 0, JSON.stringify(stats.samples));
      assert.equal(stats.counterBackwards, 0, JSON.stringify(stats.samples));
      assert.equal(stats.draftsLost, 0, JSON.stringify(stats.samples));
      assert.equal(stats.containerSessionCookies, 0);
      assert.ok(stats.requests > users.length * 10, `enough load: ${stats.requests} requests`);
      const pidsAfter = [...shop, ...portal].map((t) => t.pid);
      assert.ok(pidsAfter.every((pid, i) => pid !== pidsBefore[i]), `every Tomcat is a new JVM: ${pidsBefore} → ${pidsAfter}`);
    });
  });
});
