import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent } from 'undici';
import { emptyStats, VirtualUser } from '../../helpers/framework-virtual-users.js';
import { Browser } from '../../helpers/browser.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { freePort } from '../../helpers/ports.js';
import { TestRedis } from '../../helpers/redis-server.js';
import { runCli } from '../rollout/cli-run.js';
import { frameworkConfig, prepareDjangoDatabase, restartExec, startApp, type AppInstance, type Framework } from './framework-apps.js';

/**
 * Issue 13's "done when": the sample apps of examples/ (Flask, Django, Express, each changed only in its session
 * setup), two instances each behind one gateway on Redis, mounted at /py/, /dj/ and /js/.
 */

const MOUNTS: Array<{ prefix: string; framework: Framework }> = [
  { prefix: '/py/', framework: 'flask' },
  { prefix: '/dj/', framework: 'django' },
  { prefix: '/js/', framework: 'express' },
];
const FRAMEWORK_COOKIES = ['session', 'sessionid', 'connect.sid'];

describe('Flask, Django and Express apps behind the gateway on Redis', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-frameworks-'));
  let redis: TestRedis;
  let gateway: GatewayUnderTest;
  const apps = new Map<Framework, AppInstance[]>();
  const setCookies: string[] = [];

  const browser = (prefix: string) => {
    const b = new Browser('');
    const fetch = b.fetch.bind(b);
    b.fetch = async (path, options) => {
      const res = await fetch(`${gateway.url}${prefix.slice(0, -1)}${path}`, options);
      const sc = res.headers['set-cookie'];
      setCookies.push(...(sc === undefined ? [] : Array.isArray(sc) ? sc : [sc]));
      return res;
    };
    return b;
  };

  before(async () => {
    redis = await TestRedis.start();
    const db = join(dir, 'django.sqlite3');
    await prepareDjangoDatabase(db);
    const started = await Promise.all(MOUNTS.flatMap((m) => [0, 1].map(() => startApp(m.framework, { pidDir: dir, djangoDb: db }))));
    for (const app of started) apps.set(app.framework, [...(apps.get(app.framework) ?? []), app]);
    const port = await freePort();
    const configFile = join(dir, 'gateway.conf');
    writeFileSync(configFile, frameworkConfig(port, MOUNTS.map((m) => ({ prefix: m.prefix, upstream: m.framework, apps: apps.get(m.framework)! }))));
    gateway = await startGateway({ backends: [], configFile, port, redisUrl: redis.url, env: { LOG_LEVEL: 'info' } });
  });

  after(async () => {
    await gateway?.process.stop();
    await Promise.all([...apps.values()].flat().map((a) => a.process.stop()));
    await redis?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('login, counter and draft survive `session-gateway rolling-restart` under load: no failed request, new pids', { timeout: 150_000 }, async () => {
    const agent = new Agent({ connections: 32, keepAliveTimeout: 10_000 });
    const stats = emptyStats();
    const users = MOUNTS.flatMap((m, i) => Array.from({ length: 6 }, (_, j) => new VirtualUser(i * 100 + j, [`${gateway.url}${m.prefix.slice(0, -1)}`], agent, stats, 10)));
    try {
      const logins = await Promise.all(users.map((u) => u.login()));
      assert.deepEqual(logins.filter((ok) => !ok), [], `logins failed: ${JSON.stringify(stats.samples)}`);
      const pidsBefore = [...apps.values()].flat().map((a) => a.process.pid);
      let stop = false;
      const load = Promise.all(users.map((u) => u.run(() => stop)));
      const rollout = await runCli(['rolling-restart', '--admin', gateway.adminUrl, '--exec', restartExec, '--settle', '0', '--drain-timeout', '15', '--ready-timeout', '30', '--json'], { SESSION_GATEWAY_DEMO_DIR: dir }, 140_000);
      stop = true;
      await load;
      await Promise.all(users.map((u) => u.verify()));
      process.stderr.write(`frameworks rolling restart: ${stats.requests} requests, ${JSON.stringify(stats.statuses)}, per backend ${JSON.stringify(stats.backendsSeen)}\n${rollout.stderr}\n`);
      assert.equal(rollout.code, 0, `${rollout.stdout}\n${rollout.stderr}`);
      assert.equal(stats.non2xx, 0, JSON.stringify(stats.samples));
      assert.equal(stats.socketErrors, 0, JSON.stringify(stats.errorCodes));
      assert.equal(stats.sessionsReset, 0, JSON.stringify(stats.samples));
      assert.equal(stats.counterBackwards, 0, JSON.stringify(stats.samples));
      assert.equal(stats.draftsLost, 0, JSON.stringify(stats.samples));
      const pidsAfter = [...apps.values()].flat().map((a) => a.process.pid);
      pidsBefore.forEach((pid, i) => assert.notEqual(pidsAfter[i], pid, 'every app instance was restarted'));
      // Every instance served the load: the session really travelled between processes.
      for (const app of [...apps.values()].flat()) assert.ok((stats.backendsSeen[`${app.framework}@${app.name}`] ?? 0) > 0, `${app.name} served no request`);
    } finally {
      await agent.close();
    }
  });

  for (const { prefix, framework } of MOUNTS) {
    it(`${framework}: logout ends the session on every instance, and an old cookie opens nothing`, async () => {
      const b = browser(prefix);
      assert.equal((await b.fetch('/api/login', { json: { user: `leaver-${framework}` } })).status, 200);
      await b.fetch('/api/counter', { method: 'POST' });
      const loggedInCookie = b.cookieHeader()!;
      const seen = new Set<string>();
      // Until both instances answered (a just-restarted one may still be in slow start, with a lower weight).
      for (let i = 0; i < 60 && seen.size < 2; i++) {
        const who = (await b.fetch('/api/whoami')).json<{ principal: string; backend: string }>();
        assert.equal(who.principal, `leaver-${framework}`);
        seen.add(who.backend);
      }
      assert.equal(seen.size, 2, 'both instances saw the login');
      assert.equal((await b.fetch('/api/logout', { method: 'POST' })).status, 200);
      assert.equal(b.cookies.has('gsid'), false, 'the gateway expired its cookie');
      seen.clear();
      for (let i = 0; i < 60 && seen.size < 2; i++) {
        const who = (await b.fetch('/api/whoami', { headers: { cookie: loggedInCookie } })).json<{ principal: string | null; counter: number; backend: string }>();
        assert.equal(who.principal, null);
        assert.equal(who.counter, 0);
        seen.add(who.backend);
      }
      assert.equal(seen.size, 2, 'both instances see the logout');
    });
  }

  it('single sign-on across languages: a login on the Flask app under /py/ is the login of the Express app under /js/', async () => {
    const py = browser('/py/');
    assert.equal((await py.fetch('/api/login', { json: { user: 'polyglot' } })).status, 200);
    const js = browser('/js/');
    for (const [name, value] of py.cookies) js.cookies.set(name, value);
    const who = (await js.fetch('/api/whoami')).json<{ principal: string; sessionId: string }>();
    assert.equal(who.principal, 'polyglot');
    assert.ok(who.sessionId.length > 0);
    // Logging out in Node logs out of Python too.
    assert.equal((await js.fetch('/api/logout', { method: 'POST' })).status, 200);
    assert.equal((await py.fetch('/api/whoami')).json<{ principal: string | null }>().principal, null);
  });

  it('the frameworks\' own session cookies never reached the browser', () => {
    const names = new Set(setCookies.map((line) => line.split('=')[0]!.trim()));
    assert.ok(names.has('gsid'));
    for (const own of FRAMEWORK_COOKIES) assert.equal(names.has(own), false, `${own} reached the browser: ${[...names].join(', ')}`);
  });
});
