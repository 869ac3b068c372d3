import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { request } from 'undici';
import { deriveHeaderKeyFromSecret } from '../../../gateway/config/env.js';
import { verifySessionHeader, type SessionClaims } from '../../../gateway/session/header-jwt.js';
import { Browser } from '../../helpers/browser.js';
import { startGateway, TEST_SECRET, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { TestRedis } from '../../helpers/redis-server.js';
import { ScriptedBackend } from '../../helpers/scripted-backend.js';

/**
 * Logins are never merged and the gateway's session is the gateway's own: principals must be UTF-8 (never
 * "repaired"), a backend cannot set the session cookie, and attribute names that are special to JavaScript objects
 * travel like any other. On both stores.
 */

const HEADER_KEY = deriveHeaderKeyFromSecret(TEST_SECRET);
/** What a UTF-8 backend puts on the wire, as a string whose characters Node writes as single bytes (latin1). */
const utf8Wire = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');
const b64 = (text: string): string => `b64:${Buffer.from(text, 'utf8').toString('base64url')}`;

for (const storeKind of ['memory', 'redis'] as const) {
  describe(`session integrity (${storeKind} store)`, () => {
    let redis: TestRedis | null = null;
    let backend: ScriptedBackend;
    let gateway: GatewayUnderTest;
    /** The X-Session claims of the last request that carried one. */
    let claims: SessionClaims | null;

    before(async () => {
      if (storeKind === 'redis') redis = await TestRedis.start();
      backend = new ScriptedBackend();
      const name = await backend.listen();
      gateway = await startGateway({ backends: [name], ...(redis ? { redisUrl: redis.url } : {}), serverExtra: 'set $session_max_per_principal 1;' });
    });

    after(async () => {
      await gateway?.process.stop();
      await backend?.close();
      await redis?.close();
    });

    beforeEach(() => {
      claims = null;
      backend.respond = (req, res) => answer(req, res, {});
    });

    function answer(req: IncomingMessage, res: ServerResponse, headers: Record<string, string | string[]>): void {
      // The gateway's health checks come in between the test's requests: they must not count as one.
      if (req.url === '/healthz') return void res.end('ok');
      const token = req.headers['x-session'];
      claims = typeof token === 'string' ? verifySessionHeader(token, HEADER_KEY) : null;
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      // A Buffer body makes Node write the head on its own, byte for byte (latin1), as Tomcat and WSGI servers do;
      // with a string body Node would encode the head as UTF-8 along with it.
      res.end(Buffer.from('ok'));
    }

    /** One request answered with `headers`; returns the response and the claims the backend saw. */
    async function exchange(browser: Browser, path: string, headers: Record<string, string | string[]>) {
      backend.respond = (req, res) => answer(req, res, headers);
      const res = await browser.fetch(path, { method: 'POST' });
      backend.respond = (req, res2) => answer(req, res2, {});
      return res;
    }

    async function whoIs(browser: Browser): Promise<SessionClaims | null> {
      claims = null;
      assert.equal((await browser.fetch('/whoami')).status, 200);
      return claims;
    }

    async function sessionsOf(principal: string): Promise<number> {
      const res = await request(`${gateway.adminUrl}/api/sessions?principal=${encodeURIComponent(principal)}`);
      return ((await res.body.json()) as { count: number }).count;
    }

    describe('principals are UTF-8, never repaired', () => {
      it('a Latin-1 principal (what a Java or Python backend sends for "josé") is a malformed write-back, and no session is made', async () => {
        for (const latin1 of ['josé', 'josè']) {
          const browser = new Browser(gateway.url);
          // Node, like Tomcat and WSGI servers, writes a header string's characters below U+0100 as single bytes.
          const res = await exchange(browser, '/login', { 'x-session-login': latin1 });
          assert.equal(res.status, 502);
          assert.match(res.text, /SG_WRITEBACK_MALFORMED/);
          assert.equal(browser.cookies.size, 0, 'no session cookie');
          assert.equal(await whoIs(browser), null);
        }
        assert.equal(await sessionsOf('jos\uFFFD'), 0, 'nothing was stored under a replacement character');
        await gateway.process.waitForRecord((r) => r.event === 'session.write_back_refused' && r.code === 'SG_WRITEBACK_MALFORMED' && /UTF-8/.test(String(r.msg)), 'the refusal says why');
      });

      it('raw UTF-8 and the b64: form name the same principal; similar names stay apart', async () => {
        const raw = new Browser(gateway.url);
        assert.equal((await exchange(raw, '/login', { 'x-session-login': utf8Wire('josé') })).status, 200);
        assert.equal((await whoIs(raw))?.sub, 'josé');
        const other = new Browser(gateway.url);
        assert.equal((await exchange(other, '/login', { 'x-session-login': utf8Wire('josè') })).status, 200);
        assert.equal((await whoIs(other))?.sub, 'josè');
        assert.equal(await sessionsOf('josé'), 1);
        assert.equal(await sessionsOf('josè'), 1, 'two users, two principals');

        // $session_max_per_principal 1: a b64: login of the same principal ends the raw one, proving it is the same.
        const encoded = new Browser(gateway.url);
        assert.equal((await exchange(encoded, '/login', { 'x-session-login': b64('josé') })).status, 200);
        assert.equal((await whoIs(encoded))?.sub, 'josé');
        assert.equal(await sessionsOf('josé'), 1);
        assert.equal((await whoIs(raw))?.sub, undefined, 'the older login of the same principal was evicted');
        assert.equal((await whoIs(other))?.sub, 'josè', 'the other user is untouched');
      });

      it('a Latin-1 attribute value or name is refused too; UTF-8 and b64: values arrive intact', async () => {
        const browser = new Browser(gateway.url);
        assert.equal((await exchange(browser, '/a', { 'x-session-update': utf8Wire('{"set":{"name":"Zoë"}}') })).status, 200);
        assert.equal((await exchange(browser, '/b', { 'x-session-update': '{"set":{"name":"Zoë"}}' })).status, 502);
        assert.equal((await exchange(browser, '/c', { 'x-session-update': '{"set":{"café":1}}' })).status, 502);
        assert.equal((await exchange(browser, '/d', { 'x-session-update': b64('{"set":{"city":"서울"}}') })).status, 200);
        assert.deepEqual((await whoIs(browser))?.data, { name: 'Zoë', city: '서울' });
      });
    });

    describe("a backend cannot set the gateway's cookie", () => {
      it('drops a backend Set-Cookie for the session cookie (any Path, Domain, case or spacing) with a log line, and keeps the others', async () => {
        const browser = new Browser(gateway.url);
        assert.equal((await exchange(browser, '/login', { 'x-session-login': 'shadow-victim' })).status, 200);
        const session = browser.cookies.get('gsid');
        assert.ok(session);
        const forged = [
          'gsid=attacker; Path=/',
          'gsid=attacker; Path=/admin; HttpOnly',
          'gsid=attacker; Domain=127.0.0.1; Path=/',
          'GSID=attacker',
          '  gsid =attacker; Max-Age=3600',
          'gsid=; Max-Age=0',
          'gsid',
        ];
        const res = await exchange(browser, '/page', { 'set-cookie': [...forged, 'theme=dark; Path=/', 'gsid2=kept'] });
        assert.equal(res.status, 200);
        const passed = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
        assert.deepEqual(passed, ['theme=dark; Path=/', 'gsid2=kept']);
        assert.equal(browser.cookies.get('gsid'), session, 'the session cookie is unchanged');
        assert.equal((await whoIs(browser))?.sub, 'shadow-victim');
        const line = await gateway.process.waitForRecord((r) => r.event === 'session.backend_cookie_dropped', 'a log line for the dropped cookie');
        assert.equal(typeof line.backend, 'string');
        assert.ok(!JSON.stringify(line).includes('attacker'), 'the log names the cookies, not their values');
      });

      it('drops it also when the gateway itself sets the cookie in the same response (login), so the browser gets only ours', async () => {
        const browser = new Browser(gateway.url);
        const res = await exchange(browser, '/login', { 'x-session-login': 'shadow-two', 'set-cookie': 'gsid=attacker; Path=/' });
        assert.equal(res.status, 200);
        const passed = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
        assert.equal(passed.length, 1);
        assert.match(passed[0]!, /^gsid=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
        assert.equal((await whoIs(browser))?.sub, 'shadow-two');
      });
    });

    describe('attribute names special to JavaScript objects', () => {
      it('__proto__, constructor and prototype are stored and delivered like any other name, in every scope operation', async () => {
        const browser = new Browser(gateway.url);
        const set = '{"set":{"__proto__":{"polluted":true},"constructor":"c","prototype":[1,2],"toString":"t","hasOwnProperty":0}}';
        assert.equal((await exchange(browser, '/set', { 'x-session-update': set })).status, 200);
        const seen = await whoIs(browser);
        assert.ok(seen);
        assert.deepEqual(Object.keys(seen.data).sort(), ['__proto__', 'constructor', 'hasOwnProperty', 'prototype', 'toString']);
        assert.deepEqual(Object.getOwnPropertyDescriptor(seen.data, '__proto__')?.value, { polluted: true });
        assert.equal(seen.data.constructor, 'c');
        assert.deepEqual(seen.data.prototype, [1, 2]);
        assert.equal(({} as Record<string, unknown>).polluted, undefined, 'nothing leaked into Object.prototype');

        assert.equal((await exchange(browser, '/incr', { 'x-session-update': '{"incr":{"hasOwnProperty":2},"unset":["__proto__"]}' })).status, 200);
        const after = await whoIs(browser);
        assert.ok(after);
        assert.equal(Object.hasOwn(after.data, '__proto__'), false, 'unset removes it');
        assert.equal(after.data.hasOwnProperty, 2);
      });
    });
  });
}
