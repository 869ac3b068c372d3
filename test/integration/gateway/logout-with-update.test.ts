import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deriveHeaderKey } from '../../../gateway/config/env.js';
import { verifySessionHeader, type SessionClaims } from '../../../gateway/session/header-jwt.js';
import { Browser } from '../../helpers/browser.js';
import { startGateway, TEST_SECRET, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { ScriptedBackend } from '../../helpers/scripted-backend.js';

/**
 * X-Session-Logout with an X-Session-Update that sets attributes: the session ends and a new anonymous one starts
 * with only those attributes (HttpSession.invalidate() then getSession(true); Spring's flash attribute after logout).
 */
describe('logout with an update starts a new anonymous session', () => {
  const key = deriveHeaderKey({ SESSION_SECRET: TEST_SECRET })!;
  let backend: ScriptedBackend;
  let gateway: GatewayUnderTest;

  before(async () => {
    backend = new ScriptedBackend();
    gateway = await startGateway({ backends: [await backend.listen()] });
  });

  after(async () => {
    await gateway?.process.stop();
    await backend?.close();
  });

  /** The claims the backend received on the last request, or null without an X-Session header. */
  function lastClaims(): SessionClaims | null {
    const token = backend.received.at(-1)?.['x-session'];
    return typeof token === 'string' ? verifySessionHeader(token, key) : null;
  }

  function answer(headers: Record<string, string>): void {
    backend.respond = (_req, res) => {
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      res.end('ok');
    };
  }

  it('ends the logged-in session, starts a new one with only the set attributes, new cookie and sid', async () => {
    const browser = new Browser(gateway.url);
    answer({ 'x-session-login': 'alice', 'x-session-update': JSON.stringify({ set: { cart: [1, 2], theme: 'dark' } }) });
    await browser.fetch('/login', { method: 'POST' });
    const loggedInCookie = browser.cookies.get('gsid')!;
    answer({});
    await browser.fetch('/page');
    const before = lastClaims()!;
    assert.equal(before.sub, 'alice');

    answer({ 'x-session-logout': '1', 'x-session-update': JSON.stringify({ set: { flash: 'signed out' }, unset: ['cart'] }) });
    const res = await browser.fetch('/logout', { method: 'POST' });
    assert.equal(res.status, 200);
    const newCookie = browser.cookies.get('gsid');
    assert.ok(newCookie && newCookie !== loggedInCookie, 'a new session cookie replaces the old one');

    answer({});
    await browser.fetch('/page');
    const after = lastClaims()!;
    assert.equal(after.sub, undefined, 'the new session is anonymous');
    assert.notEqual(after.sid, before.sid);
    assert.deepEqual(after.data, { flash: 'signed out' });

    await new Browser(gateway.url).fetch('/page', { headers: { cookie: `gsid=${loggedInCookie}` } });
    assert.equal(lastClaims(), null, 'the old cookie opens nothing');
    await gateway.process.waitForRecord((r) => r.event === 'session.destroyed' && r.sid === before.sid, 'the old session logged as destroyed');
  });

  it('a logout whose update only unsets is a plain logout', async () => {
    const browser = new Browser(gateway.url);
    answer({ 'x-session-update': JSON.stringify({ set: { a: 1 } }) });
    await browser.fetch('/start', { method: 'POST' });
    answer({ 'x-session-logout': '1', 'x-session-update': JSON.stringify({ unset: ['a'] }) });
    await browser.fetch('/logout', { method: 'POST' });
    assert.equal(browser.cookies.get('gsid'), undefined, 'the cookie is expired, no new session');
  });

  it('without a session, logout with an update simply creates the new session', async () => {
    const browser = new Browser(gateway.url);
    answer({ 'x-session-logout': '1', 'x-session-update': JSON.stringify({ set: { flash: 'hello' } }) });
    await browser.fetch('/logout', { method: 'POST' });
    answer({});
    await browser.fetch('/page');
    assert.deepEqual(lastClaims()?.data, { flash: 'hello' });
  });
});
