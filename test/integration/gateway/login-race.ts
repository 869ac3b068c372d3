import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { request } from 'undici';
import type { SessionStatsView } from '../../../gateway/admin/session-routes.js';
import { Browser } from '../../helpers/browser.js';
import type { GatewayUnderTest } from '../../helpers/gateway-process.js';
import { ScriptedBackend } from '../../helpers/scripted-backend.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * Issue 8 item 3, the login race, with real concurrent requests: the page's autosave is still in flight with the
 * pre-login cookie when the login form rotates the id. The autosave's write must land in the logged-in session,
 * create no session and send no Set-Cookie over the new login. Run on each store (login-race.test.ts, and on a
 * sharded Cluster in redis-cluster-gateway.test.ts, where the alias and the rotated session are in different slots).
 */

interface Claims { sub?: string; sid: string; data: Record<string, unknown> }

export function runLoginRace(name: string, start: (backend: string) => Promise<GatewayUnderTest>, stop: () => Promise<void> = async () => {}): void {
  describe(`the login race (${name})`, () => {
    const backend = new ScriptedBackend();
    let gateway: GatewayUnderTest;
    let held: Array<() => void> = [];

    before(async () => {
      const address = await backend.listen();
      backend.respond = (req, res) => {
        const url = new URL(req.url ?? '/', 'http://backend');
        const claims = typeof req.headers['x-session'] === 'string' ? decodeJwt(req.headers['x-session']) : null;
        const reply = (): void => void res.end(JSON.stringify(claims));
        if (url.pathname === '/login') res.setHeader('x-session-login', url.searchParams.get('user') ?? 'nobody');
        if (url.pathname === '/draft') {
          res.setHeader('x-session-update', JSON.stringify({ set: { draft: url.searchParams.get('text') } }));
          // An autosave that is slow at the backend: answered when the test says so.
          if (url.searchParams.has('hold')) return void held.push(reply);
        }
        if (url.pathname === '/seed') res.setHeader('x-session-update', JSON.stringify({ set: { draft: 'seed' } }));
        reply();
      };
      gateway = await start(address);
    });

    after(async () => {
      await gateway?.process.stop();
      await backend.close();
      await stop();
    });

    const created = async (): Promise<number> => {
      const res = await request(`${gateway.adminUrl}/api/sessions/stats`);
      return ((await res.body.json()) as SessionStatsView).counters.created;
    };
    const claimsOf = async (browser: Browser): Promise<Claims> => (await browser.fetch('/whoami')).json<Claims>();

    it('an autosave sent before the login and answered after it saves into the logged-in session, with no cookie', async () => {
      const browser = new Browser(gateway.url);
      await browser.fetch('/seed', { method: 'POST' });
      const preLogin = browser.cookies.get('gsid')!;
      const before = await created();
      const autosave = browser.fetch('/draft?hold=1&text=typed+while+logging+in', { method: 'POST' });
      await waitForHeld(() => held.length);
      const login = await browser.fetch('/login?user=maria', { method: 'POST' });
      assert.equal(login.status, 200);
      assert.notEqual(browser.cookies.get('gsid'), preLogin, 'the login rotated the id');
      for (const release of held.splice(0)) release();
      const saved = await autosave;
      assert.equal(saved.status, 200);
      assert.equal(saved.headers['set-cookie'], undefined, 'no Set-Cookie over the new login');
      const claims = await claimsOf(browser);
      assert.equal(claims.sub, 'maria');
      assert.equal(claims.data.draft, 'typed while logging in');
      assert.equal(await created(), before, 'the autosave created no session');
    });

    it('a request that arrives after the login with the pre-login cookie reaches the logged-in session', async () => {
      const browser = new Browser(gateway.url);
      await browser.fetch('/seed', { method: 'POST' });
      const preLogin = browser.cookies.get('gsid')!;
      await browser.fetch('/login?user=omar', { method: 'POST' });
      const before = await created();
      // What a second tab, or an XHR sent before the login's answer arrived, still carries.
      const late = new Browser(gateway.url);
      late.cookies.set('gsid', preLogin);
      const saved = await late.fetch('/draft?text=late+autosave', { method: 'POST' });
      assert.equal(saved.status, 200);
      assert.equal(saved.json<Claims>().sub, 'omar', 'the backend saw the logged-in session');
      assert.equal(saved.headers['set-cookie'], undefined);
      assert.equal((await claimsOf(browser)).data.draft, 'late autosave');
      assert.equal(await created(), before);
    });

    it('many autosaves racing one login all land in it', async () => {
      const browser = new Browser(gateway.url);
      await browser.fetch('/seed', { method: 'POST' });
      const before = await created();
      const saves = Array.from({ length: 8 }, (_, i) => browser.fetch(`/draft?text=save${i}${i % 2 === 0 ? '&hold=1' : ''}`, { method: 'POST' }));
      const login = browser.fetch('/login?user=noor', { method: 'POST' });
      await waitForHeld(() => held.length, 4);
      assert.equal((await login).status, 200);
      for (const release of held.splice(0)) release();
      for (const res of await Promise.all(saves)) {
        assert.equal(res.status, 200);
        const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
        assert.ok(cookies.every((c) => !/^gsid=[^;]/.test(c)), `no new session cookie from an autosave: ${cookies.join(' | ')}`);
      }
      const claims = await claimsOf(browser);
      assert.equal(claims.sub, 'noor');
      assert.match(String(claims.data.draft), /^save\d$/);
      assert.equal(await created(), before);
    });
  });
}

const waitForHeld = (count: () => number, atLeast = 1): Promise<unknown> => waitFor(() => count() >= atLeast, { what: 'the held autosaves to reach the backend' });

