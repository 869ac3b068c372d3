import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { request } from 'undici';
import type { Redis } from 'ioredis';
import type { SessionStatsView, SessionView } from '../../../gateway/admin/session-routes.js';
import { INDEX_KEY_KEY } from '../../../gateway/session/redis-keys.js';
import { openWith, StoreCipher } from '../../../gateway/session/store-cipher.js';
import { INDEX_KEY_AAD } from '../../../gateway/session/store-cipher-keyring.js';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { Browser } from '../../helpers/browser.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { gatewayCli } from '../../helpers/paths.js';
import { TestCluster } from '../../helpers/redis-cluster.js';
import { TestRedis } from '../../helpers/redis-server.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * Issue 5 through real processes: two gateways on one real Redis — and again on a real 3-master + 3-replica Redis
 * Cluster, where a principal's sessions and index live in its bucket's slot and the sweep and stats go over every
 * master — the demo app (`/`, and as the Portal on its own upstream under `/portal/`), a scoped location,
 * per-location duplicate-login policies and short timeouts.
 */

const run = promisify(execFile);

interface WhoAmI { backend: string; principal: string | null; counter: number; draft: string; evicted: boolean }

const LOCATIONS = `
    location / { proxy_pass http://app; }
    location /portal/ { proxy_pass http://portal; }
    location /reports/ { set $session_scope reports; proxy_pass http://app/; }
    location /static/ { set $session off; proxy_pass http://app/; }
    location /evict/ { set $session_max_per_principal 1; set $session_on_limit evict-oldest; proxy_pass http://app/; }
    location /reject/ { set $session_max_per_principal 1; set $session_on_limit reject-new; proxy_pass http://app/; }
    location /idle/ { set $session_idle_timeout 1s; proxy_pass http://app/; }
    location /absolute/ { set $session_idle_timeout 2s; set $session_absolute_timeout 2s; proxy_pass http://app/; }
`;

async function cli(gateway: GatewayUnderTest, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [gatewayCli, ...args, '--admin', gateway.adminUrl], { env: { ...process.env, ADMIN_TOKEN: '' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function adminJson<T>(gateway: GatewayUnderTest, path: string): Promise<T> {
  const res = await request(`${gateway.adminUrl}${path}`);
  assert.equal(res.statusCode, 200, path);
  return (await res.body.json()) as T;
}

const whoami = async (browser: Browser, base = ''): Promise<WhoAmI> => (await browser.fetch(`${base}/api/whoami`)).json<WhoAmI>();

/**
 * The Redis the two gateways share, the environment they get for it, and the principal index keys of a principal
 * (on every master of a Cluster). The Cluster runs with encryption at rest: index keys are then named by the HMAC of
 * the principal, worked out here from the sealed index key the gateways keep in Redis.
 */
interface SharedRedis {
  url: string;
  env: NodeJS.ProcessEnv;
  indexKeys(principal: string): Promise<string[]>;
  close(): Promise<void>;
}

async function hmacIndexId(get: (key: string) => Promise<string | null>, storeKey: Buffer, principal: string): Promise<string> {
  const sealed = await get(INDEX_KEY_KEY);
  const plain = sealed === null ? null : openWith(storeKey, INDEX_KEY_AAD, sealed);
  assert.ok(plain, 'the gateways keep a sealed principal index key');
  return new StoreCipher([storeKey], Buffer.from(plain, 'base64url')).principalId(principal);
}

const TOPOLOGIES: ReadonlyArray<[string, () => Promise<SharedRedis>]> = [
  ['one Redis', async () => {
    const redis = await TestRedis.start();
    return { url: redis.url, env: {}, indexKeys: (principal) => redis.client().keys(`sg:v2:*:p:${principal}`), close: () => redis.close() };
  }],
  ['a 3-master + 3-replica Redis Cluster, encrypted at rest', async () => {
    const cluster = await TestCluster.start({ masters: 3, replicasPerMaster: 1 });
    const storeKey = randomBytes(32);
    const onMasters = async <T>(f: (m: Redis) => Promise<T>): Promise<T[]> => Promise.all((await cluster.masters()).map(f));
    return {
      url: cluster.url,
      env: { SESSION_STORE_KEY: storeKey.toString('base64') },
      indexKeys: async (principal) => {
        // Only the master owning the slot answers GET; the others say MOVED.
        const get = async (key: string) => (await onMasters((m) => m.get(key).catch(() => null))).find((v) => v !== null) ?? null;
        const id = await hmacIndexId(get, storeKey, principal);
        return (await onMasters((m) => m.keys(`sg:v2:*:p:${id}`))).flat();
      },
      close: () => cluster.close(),
    };
  }],
];

for (const [topology, startRedis] of TOPOLOGIES) describe(`session management through two gateways sharing ${topology}`, () => {
  let redis: SharedRedis;
  let app: DemoBackend;
  let portal: DemoBackend;
  let gw1: GatewayUnderTest;
  let gw2: GatewayUnderTest;

  before(async () => {
    redis = await startRedis();
    [app, portal] = await Promise.all([startDemoBackend(), startDemoBackend({ env: { BASE_PATH: '/portal' } })]);
    const options = {
      backends: [app.name], redisUrl: redis.url, locations: LOCATIONS,
      httpExtra: `upstream portal { server ${portal.name}; }`,
      env: { SESSION_SWEEP_INTERVAL_MS: '200', LOG_LEVEL: 'info', ...redis.env },
    };
    [gw1, gw2] = await Promise.all([startGateway(options), startGateway(options)]);
  });

  after(async () => {
    await Promise.all([gw1?.process.stop(), gw2?.process.stop()]);
    await Promise.all([app?.process.stop(), portal?.process.stop()]);
    await redis?.close();
  });

  it("KHAN's demo: log in on app A, apps B and C are signed in; log out on B, A and C are signed out", async () => {
    const browser = new Browser(gw1.url);
    assert.equal((await browser.fetch('/api/login', { json: { user: 'khan' } })).status, 200);
    const onPortal = await whoami(browser, '/portal');
    assert.equal(onPortal.principal, 'khan');
    assert.equal(onPortal.backend, portal.name, 'app B is another upstream');
    assert.equal((await whoami(browser, '/reports')).principal, 'khan', 'app C has its own scope, and the shared login');
    // The same cookie works on the other gateway: the session is in the shared store.
    const elsewhere = new Browser(gw2.url);
    for (const [name, value] of browser.cookies) elsewhere.cookies.set(name, value);
    assert.equal((await whoami(elsewhere, '/portal')).principal, 'khan');
    const page = await browser.fetch('/portal/');
    assert.match(page.text, /href="\/"/, 'the page links to the other app');
    assert.equal((await browser.fetch('/portal/api/logout', { method: 'POST' })).status, 200);
    assert.equal(browser.cookies.get('gsid'), undefined);
    assert.equal((await whoami(browser)).principal, null);
    assert.equal((await whoami(browser, '/reports')).principal, null);
  });

  it('a scoped location neither reads nor overwrites the shared attributes, and sees the same principal', async () => {
    const browser = new Browser(gw1.url);
    await browser.fetch('/api/login', { json: { user: 'sam' } });
    for (let i = 0; i < 3; i++) await browser.fetch('/api/counter', { method: 'POST' });
    for (let i = 0; i < 2; i++) await browser.fetch('/reports/api/counter', { method: 'POST' });
    await browser.fetch('/reports/api/draft', { method: 'PUT', json: { text: 'reports only' } });
    const shared = await whoami(browser);
    const scoped = await whoami(browser, '/reports');
    assert.deepEqual([shared.principal, shared.counter, shared.draft], ['sam', 3, '']);
    assert.deepEqual([scoped.principal, scoped.counter, scoped.draft], ['sam', 2, 'reports only']);
    const claims = async (base: string) => decodeJwt((await browser.fetch(`${base}/debug/headers`)).json<Record<string, string>>()['x-session']!);
    const [a, c] = [await claims(''), await claims('/reports')];
    assert.deepEqual([a.sub, a.data], ['sam', { counter: 3 }]);
    assert.deepEqual([c.sub, c.data], ['sam', { counter: 2, draft: 'reports only' }]);
    assert.equal(a.sid, c.sid, 'one session');
  });

  it('$session off: no session header, no cookie, write-back headers stripped and ignored', async () => {
    const browser = new Browser(gw1.url);
    await browser.fetch('/api/login', { json: { user: 'stan' } });
    const seen = (await browser.fetch('/static/debug/headers', { headers: { 'x-session': 'forged', cookie: `${browser.cookieHeader()}` } })).json<Record<string, string>>();
    assert.equal(seen['x-session'], undefined);
    const anon = new Browser(gw1.url);
    const login = await anon.fetch('/static/api/login', { json: { user: 'mallory' } });
    assert.equal(login.status, 200);
    assert.equal(login.headers['set-cookie'], undefined);
    assert.equal(login.headers['x-session-login'], undefined, 'stripped from the response');
    assert.equal((await whoami(anon)).principal, null);
  });

  it('evict-oldest: the older session ends; its next request carries X-Session-Status: evicted and is anonymous', async () => {
    const first = new Browser(gw1.url);
    const second = new Browser(gw2.url);
    await first.fetch('/evict/api/login', { json: { user: 'eve' } });
    await second.fetch('/evict/api/login', { json: { user: 'eve' } });
    const seen = (await first.fetch('/evict/debug/headers')).json<Record<string, string>>();
    assert.equal(seen['x-session-status'], 'evicted');
    assert.equal(seen['x-session'], undefined);
    assert.equal((await whoami(first, '/evict')).principal, null);
    assert.equal((await whoami(second, '/evict')).principal, 'eve');
    const list = await adminJson<{ sessions: SessionView[] }>(gw1, '/api/sessions?principal=eve');
    assert.equal(list.sessions.length, 1);
    // Log lines reach the test through a pipe, maybe after the response: wait for it rather than look once.
    await gw2.process.waitForRecord((r) => r.event === 'session.duplicate_login' && r.principal === 'eve', 'the duplicate-login log line');
  });

  it('the demo page shows the evicted notice on the request that carries the status', async () => {
    const first = new Browser(gw1.url);
    await first.fetch('/evict/api/login', { json: { user: 'pia' } });
    await new Browser(gw1.url).fetch('/evict/api/login', { json: { user: 'pia' } });
    const page = await first.fetch('/evict/');
    assert.match(page.text, /<div id="evicted" class="notice">/);
  });

  it('reject-new: the second login gets 409 with a short explanation; the first session stays', async () => {
    const first = new Browser(gw1.url);
    const second = new Browser(gw1.url);
    await first.fetch('/reject/api/login', { json: { user: 'rita' } });
    const refused = await second.fetch('/reject/api/login', { json: { user: 'rita' } });
    assert.equal(refused.status, 409);
    assert.match(refused.text, /login refused.*SG_LOGIN_REJECTED/);
    assert.equal(refused.headers['x-gateway-error'], 'SG_LOGIN_REJECTED');
    assert.equal(refused.headers['set-cookie'], undefined);
    assert.equal((await whoami(second, '/reject')).principal, null);
    assert.equal((await whoami(first, '/reject')).principal, 'rita');
  });

  it('20 concurrent logins of one user with a limit of 1 leave exactly one live session', async () => {
    const browsers = Array.from({ length: 20 }, (_, i) => new Browser(i % 2 === 0 ? gw1.url : gw2.url));
    const results = await Promise.all(browsers.map((b) => b.fetch('/evict/api/login', { json: { user: 'crowd' } })));
    for (const r of results) assert.equal(r.status, 200);
    const list = await adminJson<{ sessions: SessionView[] }>(gw1, '/api/sessions?principal=crowd');
    assert.equal(list.sessions.length, 1);
    const signedIn = (await Promise.all(browsers.map((b) => whoami(b, '/evict')))).filter((w) => w.principal === 'crowd');
    assert.equal(signedIn.length, 1);
  });

  it('sessions list shows each session; sessions kill --principal ends them on every gateway', async () => {
    const onGw1 = new Browser(gw1.url);
    const onGw2 = new Browser(gw2.url);
    await onGw1.fetch('/api/login', { json: { user: 'alice' } });
    await onGw1.fetch('/api/counter', { method: 'POST' });
    await onGw2.fetch('/api/draft', { method: 'PUT', json: { text: 'x'.repeat(100) } });
    await onGw2.fetch('/portal/api/login', { json: { user: 'alice' } });
    assert.equal((await redis.indexKeys('alice')).length, 1, "alice's sessions are filed in one principal index");
    const listed = await cli(gw2, 'sessions', 'list', '--principal', 'alice', '--json');
    assert.equal(listed.code, 0, listed.stderr);
    const { sessions } = JSON.parse(listed.stdout) as { sessions: SessionView[] };
    assert.equal(sessions.length, 2);
    for (const s of sessions) {
      assert.equal(s.principal, 'alice');
      assert.ok(s.createdAt > 0 && s.lastAccessAt >= s.createdAt);
      assert.ok(s.size > 0);
    }
    assert.deepEqual(sessions.map((s) => s.backend), [app.name, portal.name]);
    const table = await cli(gw1, 'sessions', 'list', '--principal', 'alice');
    assert.match(table.stdout, /SID\s+CREATED\s+LAST ACCESS\s+SIZE\s+BACKEND/);
    assert.ok(table.stdout.includes(portal.name));

    const killed = await cli(gw2, 'sessions', 'kill', '--principal', 'alice');
    assert.equal(killed.code, 0, killed.stderr);
    assert.match(killed.stdout, /^2 session\(s\) ended for alice/);
    assert.equal((await whoami(onGw1)).principal, null, 'ended on the other gateway too');
    assert.equal((await whoami(onGw2)).principal, null);
    assert.match((await cli(gw1, 'sessions', 'list', '--principal', 'alice')).stdout, /no live sessions for alice/);
  });

  it('sessions kill --sid ends one session; an unknown sid is SG_SESSION_NOT_FOUND', async () => {
    const keep = new Browser(gw1.url);
    const end = new Browser(gw1.url);
    await keep.fetch('/api/login', { json: { user: 'bruno' } });
    await end.fetch('/api/login', { json: { user: 'bruno' } });
    const sid = String(decodeJwt((await end.fetch('/debug/headers')).json<Record<string, string>>()['x-session']!).sid);
    // Looked up by its sid on the other gateway: the principal in clear, however the store keeps it.
    const one = await adminJson<SessionView>(gw2, `/api/sessions/${sid}`);
    assert.deepEqual([one.sid, one.principal, one.backend], [sid, 'bruno', app.name]);
    const killed = await cli(gw1, 'sessions', 'kill', '--sid', sid, '--json');
    assert.equal(killed.code, 0, killed.stderr);
    assert.deepEqual(JSON.parse(killed.stdout), { ok: true, count: 1, killed: [sid] });
    assert.equal((await whoami(end)).principal, null);
    assert.equal((await whoami(keep)).principal, 'bruno');
    const again = await cli(gw1, 'sessions', 'kill', '--sid', sid);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /SG_SESSION_NOT_FOUND/);
    // A sid may begin with a dash (base64url): the CLI takes it as the value, not as an unknown option.
    const dashed = await cli(gw1, 'sessions', 'kill', '--sid', `-${sid.slice(1)}`);
    assert.equal(dashed.code, 1, dashed.stderr);
    assert.match(dashed.stderr, /SG_SESSION_NOT_FOUND/);
    const gone = await request(`${gw2.adminUrl}/api/sessions/${sid}`);
    assert.equal(gone.statusCode, 404);
    assert.equal(((await gone.body.json()) as { error: { code: string } }).error.code, 'SG_SESSION_NOT_FOUND');
    assert.equal((await cli(gw1, 'sessions', 'kill')).code, 2);
  });

  it('idle- and absolute-expired sessions are each counted once as expired and leave no index entry', async () => {
    const before = (await adminJson<SessionStatsView>(gw1, '/api/sessions/stats')).counters;
    const idle = new Browser(gw1.url);
    const absolute = new Browser(gw2.url);
    await idle.fetch('/idle/api/login', { json: { user: 'ivy' } });
    // Created first, logged in a moment later: the absolute deadline (created + 2 s) is the earlier one from then on.
    await absolute.fetch('/absolute/api/draft', { method: 'PUT', json: { text: 'a' } });
    await absolute.fetch('/absolute/api/login', { json: { user: 'abe' } });
    const stats = await waitFor(async () => {
      const s = await adminJson<SessionStatsView>(gw2, '/api/sessions/stats');
      return s.counters.expiredIdle > before.expiredIdle && s.counters.expiredAbsolute > before.expiredAbsolute ? s : null;
    }, { what: 'both sessions to be swept' });
    assert.equal(stats.counters.expiredIdle - before.expiredIdle, 1);
    assert.equal(stats.counters.expiredAbsolute - before.expiredAbsolute, 1);
    assert.equal(stats.counterScope, 'global');
    for (const principal of ['ivy', 'abe']) {
      assert.deepEqual((await adminJson<{ sessions: unknown[] }>(gw1, `/api/sessions?principal=${principal}`)).sessions, []);
      assert.deepEqual(await redis.indexKeys(principal), [], `no index entry for ${principal}`);
    }
    // Their cookies no longer open anything, and coming back does not count them again.
    assert.equal((await whoami(idle, '/idle')).principal, null);
    assert.equal((await whoami(absolute, '/absolute')).principal, null);
    const afterwards = (await adminJson<SessionStatsView>(gw1, '/api/sessions/stats')).counters;
    assert.deepEqual([afterwards.expiredIdle, afterwards.expiredAbsolute], [stats.counters.expiredIdle, stats.counters.expiredAbsolute]);
    const logged = [...gw1.process.records(), ...gw2.process.records()].filter((r) => r.event === 'session.expired' && (r.principal === 'ivy' || r.principal === 'abe'));
    assert.deepEqual(logged.map((r) => `${String(r.principal)}:${String(r.reason)}`).sort(), ['abe:absolute', 'ivy:idle']);
  });

  it('exposes the session numbers on /api/sessions/stats, the CLI and /metrics', async () => {
    const stats = await adminJson<SessionStatsView>(gw2, '/api/sessions/stats');
    assert.ok(stats.active >= 1);
    assert.ok(stats.counters.duplicateLogins >= 20, 'the crowd and the evictions');
    assert.ok(stats.counters.destroyedKill >= 3 && stats.counters.destroyedEvicted >= 19 && stats.counters.destroyedLogout >= 1);
    assert.equal(stats.sizeBuckets.at(-1)?.le, null);
    const text = await cli(gw1, 'sessions', 'stats');
    assert.match(text.stdout, /counters shared by every gateway/);
    const [m1, m2] = await Promise.all([gw1, gw2].map(async (g) => (await request(`${g.adminUrl}/metrics`)).body.text()));
    // Store-wide numbers: the same on both gateways, labelled by the store (aggregate with max by (store)).
    const live = /^session_gateway_cluster_sessions\{store="redis:\/\/[^"]+"\} (\d+)$/m;
    assert.equal(live.exec(m1!)?.[1], live.exec(m2!)?.[1]);
    assert.match(m1!, /^session_gateway_cluster_sessions_by_size\{store="[^"]+",size_max_bytes="inf"\} \d+$/m);
    // Events each gateway caused: their sum over both gateways is the store's own count.
    const own = (text: string, name: string, labels = '') => Number(new RegExp(`^${name}${labels.replace(/[{}]/g, '\\$&')} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    const store = await adminJson<SessionStatsView>(gw1, '/api/sessions/stats');
    const sum = (name: string, labels = '') => own(m1!, name, labels) + own(m2!, name, labels);
    assert.equal(sum('session_gateway_sessions_created_total'), store.counters.created);
    assert.equal(sum('session_gateway_logins_total'), store.counters.logins);
    assert.equal(sum('session_gateway_duplicate_logins_total'), store.counters.duplicateLogins);
    assert.equal(sum('session_gateway_sessions_destroyed_total', '{reason="evicted"}'), store.counters.destroyedEvicted);
    assert.equal(sum('session_gateway_sessions_destroyed_total', '{reason="kill"}'), store.counters.destroyedKill);
  });
});
