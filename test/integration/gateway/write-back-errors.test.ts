import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { request } from 'undici';
import { Browser } from '../../helpers/browser.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { TestRedis } from '../../helpers/redis-server.js';
import { ScriptedBackend } from '../../helpers/scripted-backend.js';

/** Write-backs the gateway must refuse, from a backend whose answers the test scripts. */
describe('malformed and oversized write-backs', () => {
  let redis: TestRedis;
  let backend: ScriptedBackend;
  let gateway: GatewayUnderTest;

  before(async () => {
    redis = await TestRedis.start();
    backend = new ScriptedBackend();
    const name = await backend.listen();
    gateway = await startGateway({ backends: [name], redisUrl: redis.url, serverExtra: 'set $session_max_bytes 3k;' });
  });

  after(async () => {
    await gateway?.process.stop();
    await backend?.close();
    await redis?.close();
  });

  beforeEach(() => {
    backend.respond = (_req, res) => res.end('ok');
  });

  async function loggedInBrowser(): Promise<Browser> {
    const browser = new Browser(gateway.url);
    backend.respond = (_req, res) => {
      res.setHeader('x-session-login', 'alice');
      res.setHeader('x-session-update', JSON.stringify({ set: { theme: 'dark' }, incr: { visits: 1 } }));
      res.end('logged in');
    };
    assert.equal((await browser.fetch('/login', { method: 'POST' })).status, 200);
    return browser;
  }

  async function sessionFields(): Promise<Record<string, string>> {
    const keys = await redis.client().keys('sg:v2:*:s:*');
    const all: Record<string, string> = {};
    for (const key of keys) Object.assign(all, await redis.client().hgetall(key));
    // last-access changes on touch; compare only attributes
    return Object.fromEntries(Object.entries(all).filter(([k]) => !k.startsWith('#')));
  }

  for (const [label, headers] of [
    ['not JSON', { 'x-session-update': '{set:' }],
    ['an unknown operation', { 'x-session-update': '{"drop":["theme"]}' }],
    ['a non-integer incr', { 'x-session-update': '{"incr":{"visits":1.5}}' }],
    ['set and unset of one attribute', { 'x-session-update': '{"set":{"theme":"x"},"unset":["theme"]}' }],
    ['login and logout together', { 'x-session-login': 'bob', 'x-session-logout': '1' }],
    ['a bad logout value', { 'x-session-logout': 'yes please' }],
    ['incr of a string attribute', { 'x-session-update': '{"incr":{"theme":1}}' }],
  ] as Array<[string, Record<string, string>]>) {
    it(`refuses ${label} with 502, a log line naming the backend, and leaves the session unchanged`, async () => {
      const browser = await loggedInBrowser();
      const before = await sessionFields();
      backend.respond = (_req, res) => {
        for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
        res.end('the backend thought this was fine');
      };
      const res = await browser.fetch('/change', { method: 'POST' });
      assert.equal(res.status, 502);
      assert.match(res.text, /SG_WRITEBACK_/);
      assert.ok(!res.text.includes('the backend thought'), 'the backend body is not passed on');
      assert.deepEqual(await sessionFields(), before);
      await gateway.process.waitForRecord((r) => r.event === 'session.write_back_refused' && typeof r.backend === 'string', 'a log line naming the backend');
    });
  }

  it('refuses a write-back that would pass the session size cap, leaving the session unchanged', async () => {
    const browser = await loggedInBrowser();
    const before = await sessionFields();
    backend.respond = (_req, res) => {
      res.setHeader('x-session-update', JSON.stringify({ set: { blob: 'x'.repeat(2000) } }));
      res.end('too big');
    };
    const res = await browser.fetch('/change', { method: 'POST' });
    assert.equal(res.status, 502);
    assert.match(res.text, /SG_WRITEBACK_TOO_LARGE/);
    assert.deepEqual(await sessionFields(), before);
  });

  it('accepts the b64: form for non-ASCII values and strips write-back headers from the client response', async () => {
    const browser = await loggedInBrowser();
    backend.respond = (_req, res) => {
      res.setHeader('x-session-update', 'b64:' + Buffer.from(JSON.stringify({ set: { name: '김철수' } })).toString('base64url'));
      res.end('ok');
    };
    const res = await browser.fetch('/change', { method: 'POST' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-session-update'], undefined);
    const fields = await sessionFields();
    assert.ok(Object.values(fields).includes(JSON.stringify('김철수')));
  });

  it('concurrent updates of different attributes all survive', async () => {
    const browser = await loggedInBrowser();
    backend.respond = (req, res) => {
      const attr = (req.url ?? '').slice(1);
      res.setHeader('x-session-update', JSON.stringify({ set: { [attr]: attr.toUpperCase() } }));
      res.end('ok');
    };
    const names = Array.from({ length: 20 }, (_, i) => `attr${i}`);
    const results = await Promise.all(names.map((n) => browser.fetch(`/${n}`, { method: 'POST' })));
    assert.deepEqual(results.map((r) => r.status), Array(20).fill(200));
    const seen: Record<string, unknown> = {};
    backend.respond = (req, res) => {
      // Health checks reach this backend too, without a session: only /claims is answered with the claims.
      const token = req.headers['x-session'];
      res.end(req.url === '/claims' && typeof token === 'string' ? Buffer.from(token.split('.')[1]!, 'base64url').toString() : 'ok');
    };
    Object.assign(seen, (await browser.fetch('/claims')).json<{ data: Record<string, unknown> }>().data);
    for (const n of names) assert.equal(seen[n], n.toUpperCase());
    assert.equal(seen.theme, 'dark');
  });

  it('cuts the client connection when the backend dies mid-response, with a log line naming it', async () => {
    backend.respond = (req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100000' });
      res.write('the first part of a long answer');
      setImmediate(() => req.socket.destroy());
    };
    const res = await request(`${gateway.url}/dies-midway`);
    assert.equal(res.statusCode, 200, 'the head had already gone out');
    await assert.rejects(res.body.text(), 'the body is cut, not silently short');
    await gateway.process.waitForRecord((r) => r.event === 'proxy.response_aborted' && typeof r.backend === 'string', 'a log line naming the backend');
  });

  it('answers 413 when a body is larger than client_max_body_size', async () => {
    const res = await new Browser(gateway.url).fetch('/upload', { method: 'POST', body: Buffer.alloc(2 * 1024 * 1024) });
    assert.equal(res.status, 413);
    assert.match(res.text, /SG_BODY_TOO_LARGE/);
  });

  it('answers 502 when the backend resets the connection, and 503 while Redis is down', async () => {
    backend.respond = (req) => req.socket.destroy();
    const reset = await new Browser(gateway.url).fetch('/reset', { method: 'POST' });
    assert.equal(reset.status, 502);
    const browser = await loggedInBrowser();
    await redis.stop();
    try {
      const down = await browser.fetch('/anything');
      assert.equal(down.status, 503);
      assert.match(down.text, /SG_STORE_UNAVAILABLE/);
    } finally {
      await redis.restart();
    }
  });
});
