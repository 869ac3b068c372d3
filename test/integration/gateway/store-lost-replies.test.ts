import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PRELUDE } from '../../../gateway/session/redis-lua-prelude.js';
import { MOVE_LAND } from '../../../gateway/session/redis-login-scripts.js';
import { COMMIT_SESSION, LOAD_SESSION, RESOLVE_COMMIT } from '../../../gateway/session/redis-session-scripts.js';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { Browser } from '../../helpers/browser.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { RedisRelay } from '../../helpers/redis-relay.js';
import { TestRedis } from '../../helpers/redis-server.js';

interface WhoAmI { principal: string | null; counter: number }

/** What ioredis sends for a script: EVALSHA with its SHA-1, or (first use on a connection) EVAL with its text. */
const sha = (lua: string): string[] => [
  createHash('sha1').update(lua).digest('hex'),
  lua.startsWith(PRELUDE) ? lua.slice(PRELUDE.length, PRELUDE.length + 160) : lua,
];

/**
 * Exactly-once commits and honest errors through the real gateway (docs/architecture.md §13): the gateway reaches
 * Redis through a relay that loses the reply to one commit after Redis ran it, or holds it while Redis is paused
 * past the command timeout. Whatever the client is told must be what Redis holds.
 */
describe('a commit whose reply is lost is applied once, and the client is told what Redis holds', () => {
  let redis: TestRedis;
  let relay: RedisRelay;
  let backend: DemoBackend;
  let gateway: GatewayUnderTest;

  before(async () => {
    redis = await TestRedis.start();
    relay = await RedisRelay.start(redis.port);
    backend = await startDemoBackend();
    gateway = await startGateway({
      backends: [backend.name], redisUrl: relay.url,
      serverExtra: 'set $session_max_per_principal 1; set $session_on_limit reject-new;',
    });
  });
  after(async () => {
    redis?.resume();
    await gateway?.process.stop();
    await backend?.process.stop();
    await relay?.close();
    await redis?.close();
  });

  const counterOf = async (browser: Browser): Promise<number> => (await browser.fetch('/api/whoami')).json<WhoAmI>().counter;

  it('an increment whose reply is dropped after it ran is applied once and answered 200', async () => {
    const browser = new Browser(gateway.url);
    assert.equal((await browser.fetch('/api/login', { json: { user: 'ivan' } })).status, 200);
    assert.equal((await browser.fetch('/api/counter', { method: 'POST' })).status, 200);
    const before = await counterOf(browser);
    const dropped = relay.dropReplyTo(sha(COMMIT_SESSION));
    const res = await browser.fetch('/api/counter', { method: 'POST' });
    await dropped;
    assert.equal(res.status, 200, res.text);
    assert.equal(await counterOf(browser), before + 1, 'applied once: not lost, not applied again by a resent copy');
  });

  it('a first login whose reply is dropped is accepted under reject-new with a limit of 1, and the limit still holds', async () => {
    const browser = new Browser(gateway.url);
    const dropped = relay.dropReplyTo(sha(COMMIT_SESSION));
    const res = await browser.fetch('/api/login', { json: { user: 'rosa' } });
    await dropped;
    assert.equal(res.status, 200, `the resent login must not collide with the session it created: ${res.text}`);
    assert.equal((await browser.fetch('/api/whoami')).json<WhoAmI>().principal, 'rosa', 'the cookie names the session created');
    const other = await new Browser(gateway.url).fetch('/api/login', { json: { user: 'rosa' } });
    assert.equal(other.status, 409, 'exactly one session of rosa exists');
  });

  it('a login that moves an anonymous session, with the reply to its landing dropped, lands once', async () => {
    const browser = new Browser(gateway.url);
    assert.equal((await browser.fetch('/api/counter', { method: 'POST' })).status, 200);
    const dropped = relay.dropReplyTo(sha(MOVE_LAND));
    const res = await browser.fetch('/api/login', { json: { user: 'mona' } });
    await dropped;
    assert.equal(res.status, 200, res.text);
    const who = (await browser.fetch('/api/whoami')).json<WhoAmI>();
    assert.deepEqual([who.principal, who.counter], ['mona', 1], 'the moved session keeps what it had');
    assert.equal((await new Browser(gateway.url).fetch('/api/login', { json: { user: 'mona' } })).status, 409);
  });

  it('Redis paused past the command timeout with the commit in flight: the answer matches what is stored', async () => {
    const browser = new Browser(gateway.url);
    assert.equal((await browser.fetch('/api/login', { json: { user: 'paula' } })).status, 200);
    const before = await counterOf(browser);
    // Redis stops as the commit leaves the gateway; it resumes only once the gateway, past its command timeout,
    // sends the fence — both queue on the same connection, the commit first.
    const paused = relay.beforeSending(sha(COMMIT_SESSION), () => redis.pause());
    let fenceSent = false;
    void relay.beforeSending(sha(RESOLVE_COMMIT), () => {
      fenceSent = true;
      redis.resume();
    });
    const res = await browser.fetch('/api/counter', { method: 'POST' });
    redis.resume();
    await paused;
    assert.ok(fenceSent, `the gateway settles the commit with its fence before it answers (${res.status} ${res.text})`);
    const stored = await counterOf(browser);
    // The fence queued behind the commit on the same connection, so the commit ran first: the answer is 200.
    assert.equal(res.status, 200, res.text);
    assert.equal(stored, before + 1, 'told 200: applied once');
    await gateway.process.waitForRecord((r) => r.event === 'session.commit_settled' && r.applied === true, 'the log line of the settled commit');
  });

  it('Redis paused past the outcome timeout with the commit in flight: 504 SG_STORE_TIMEOUT ("not known"), never a 503', async () => {
    const browser = new Browser(gateway.url);
    assert.equal((await browser.fetch('/api/login', { json: { user: 'olga' } })).status, 200);
    const before = await counterOf(browser);
    const paused = relay.beforeSending(sha(COMMIT_SESSION), () => redis.pause());
    // Redis stays stopped until the gateway has answered: neither the commit nor any fence gets an answer meanwhile.
    const res = await browser.fetch('/api/counter', { method: 'POST' });
    redis.resume();
    await paused;
    assert.equal(res.status, 504, res.text);
    assert.match(res.text, /SG_STORE_TIMEOUT/);
    await gateway.process.waitForRecord((r) => r.event === 'session.commit_unknown', 'the log line of the commit whose outcome is not known');
    // Not known indeed: the commit was queued first, so it ran once Redis resumed.
    assert.equal(await counterOf(browser), before + 1);
  });

  it('Redis paused past the command timeout during the load: 503 SG_STORE_UNAVAILABLE, and nothing was written', async () => {
    const browser = new Browser(gateway.url);
    assert.equal((await browser.fetch('/api/login', { json: { user: 'lena' } })).status, 200);
    const before = await counterOf(browser);
    // A load is a plain HGETALL of the session's hash (the script only when a touch is due).
    const paused = relay.beforeSending([...sha(LOAD_SESSION), /hgetall\r\n\$\d+\r\nsg:v2:\{[^}]+\}:s:/], () => redis.pause());
    const res = await browser.fetch('/api/counter', { method: 'POST' });
    redis.resume();
    await paused;
    assert.equal(res.status, 503, res.text);
    assert.match(res.text, /SG_STORE_UNAVAILABLE/);
    assert.equal(await counterOf(browser), before, 'told 503: not applied');
  });

  it('a commit lost with its connection before it reached Redis is sent again on the next one: 200, applied once', async () => {
    const browser = new Browser(gateway.url);
    assert.equal((await browser.fetch('/api/login', { json: { user: 'nina' } })).status, 200);
    const before = await counterOf(browser);
    const lost = relay.dropConnectionOn(sha(COMMIT_SESSION));
    const res = await browser.fetch('/api/counter', { method: 'POST' });
    await lost;
    assert.equal(res.status, 200, res.text);
    assert.equal(await counterOf(browser), before + 1);
  });
});
