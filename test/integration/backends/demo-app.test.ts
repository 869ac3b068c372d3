import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { deriveHeaderKey } from '../../../gateway/config/env.js';
import { signSessionHeader } from '../../../gateway/session/header-jwt.js';
import { waitFor } from '../../helpers/wait-for.js';
import { DemoProcess } from './demo-process.js';
import { httpRequest, json } from './http-client.js';

const SESSION_SECRET = 'test-session-secret-0123456789abcdef';
const env = { SESSION_SECRET };
const key = deriveHeaderKey(env)!;

const LIFETIME = { ct: Date.now(), la: Date.now(), idle: 1800, end: Date.now() + 86_400_000 };

function mint(claims: { sub?: string; data?: Record<string, unknown>; status?: string }, signingKey = key): string {
  return signSessionHeader({ sid: 'sid-test-1', data: claims.data ?? {}, ...LIFETIME, ...(claims.sub ? { sub: claims.sub } : {}), ...(claims.status ? { status: claims.status } : {}) }, signingKey, Date.now());
}

function decodeUpdate(value: string | string[] | undefined): unknown {
  assert.equal(typeof value, 'string');
  const text = value as string;
  return JSON.parse(text.startsWith('b64:') ? Buffer.from(text.slice(4), 'base64url').toString('utf8') : text);
}

describe('demo backend (real process)', () => {
  let app: DemoProcess;
  before(async () => {
    app = await DemoProcess.start({ env, name: 'demo-under-test' });
  });
  after(async () => {
    await app.stop();
  });

  it('whoami reports the hydrated session of a header minted by signSessionHeader', async () => {
    const res = await httpRequest(`${app.url}/api/whoami`, { headers: { 'X-Session': mint({ sub: 'alice', data: { counter: 7, draft: 'hello' } }) } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-backend'], 'demo-under-test');
    const body = json(res);
    assert.equal(body.backend, 'demo-under-test');
    assert.equal(body.pid, app.child.pid);
    assert.equal(typeof body.startedAt, 'string');
    assert.equal(body.principal, 'alice');
    assert.equal(body.counter, 7);
    assert.equal(body.draft, 'hello');
  });

  it('without a header there is no session', async () => {
    const body = json(await httpRequest(`${app.url}/api/whoami`));
    assert.deepEqual([body.principal, body.counter, body.draft], [null, 0, '']);
  });

  it('a forged or wrongly-keyed header is ignored and logged', async () => {
    const forged = mint({ sub: 'mallory', data: { counter: 99 } }, Buffer.from('not-the-gateway-key-0123456789'));
    for (const header of [forged, 'forged', `${mint({ sub: 'alice' }).slice(0, -4)}AAAA`]) {
      const body = json(await httpRequest(`${app.url}/api/whoami`, { headers: { 'X-Session': header } }));
      assert.equal(body.principal, null, header);
      assert.equal(body.counter, 0);
    }
    await waitFor(() => app.logs.filter((l) => l.event === 'x-session-rejected').length >= 3, { what: 'rejection log lines' });
  });

  it('an expired header is ignored', async () => {
    const old = signSessionHeader({ sid: 's', sub: 'alice', data: {}, ...LIFETIME }, key, Date.now() - 10 * 60_000);
    assert.equal(json(await httpRequest(`${app.url}/api/whoami`, { headers: { 'X-Session': old } })).principal, null);
  });

  it('login answers X-Session-Login and JSON; bad input is 400', async () => {
    const res = await httpRequest(`${app.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'alice' }) });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-session-login'], 'alice');
    assert.equal(json(res).principal, 'alice');
    const korean = await httpRequest(`${app.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: '김철수' }) });
    assert.equal(korean.status, 200);
    assert.equal(korean.headers['x-session-login'], `b64:${Buffer.from('김철수').toString('base64url')}`, 'non-ASCII goes in the b64: form');
    for (const body of ['{not json', '[1]', JSON.stringify({ user: '' }), JSON.stringify({ user: 42 }), JSON.stringify({ user: 'a\nb' }), JSON.stringify({ user: ' x' })]) {
      const bad = await httpRequest(`${app.url}/api/login`, { method: 'POST', body });
      assert.equal(bad.status, 400, body);
      assert.equal(bad.headers['x-session-login'], undefined);
      assert.equal(bad.headers['x-backend'], 'demo-under-test');
    }
  });

  it('logout answers X-Session-Logout: 1', async () => {
    const res = await httpRequest(`${app.url}/api/logout`, { method: 'POST', headers: { 'X-Session': mint({ sub: 'alice' }) } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-session-logout'], '1');
  });

  it('counter answers an incr update and previous+1', async () => {
    const res = await httpRequest(`${app.url}/api/counter`, { method: 'POST', headers: { 'X-Session': mint({ data: { counter: 41 } }) } });
    assert.deepEqual(decodeUpdate(res.headers['x-session-update']), { incr: { counter: 1 } });
    assert.equal(json(res).counter, 42);
    const fresh = await httpRequest(`${app.url}/api/counter`, { method: 'POST' });
    assert.equal(json(fresh).counter, 1);
  });

  it('draft answers a set update: plain JSON for ASCII, b64: for non-ASCII', async () => {
    const ascii = await httpRequest(`${app.url}/api/draft`, { method: 'PUT', body: JSON.stringify({ text: 'plain "quoted" text' }) });
    assert.equal(ascii.status, 200);
    assert.ok(!String(ascii.headers['x-session-update']).startsWith('b64:'));
    assert.deepEqual(decodeUpdate(ascii.headers['x-session-update']), { set: { draft: 'plain "quoted" text' } });
    const unicode = await httpRequest(`${app.url}/api/draft`, { method: 'PUT', body: JSON.stringify({ text: 'héllo — 世界 🎉\nline 2' }) });
    assert.match(String(unicode.headers['x-session-update']), /^b64:[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeUpdate(unicode.headers['x-session-update']), { set: { draft: 'héllo — 世界 🎉\nline 2' } });
    const bad = await httpRequest(`${app.url}/api/draft`, { method: 'PUT', body: JSON.stringify({ text: 5 }) });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers['x-session-update'], undefined);
  });

  it('read-only routes write nothing back', async () => {
    for (const path of ['/', '/api/whoami', '/debug/headers', '/healthz']) {
      const res = await httpRequest(`${app.url}${path}`, { headers: { 'X-Session': mint({ sub: 'alice' }) } });
      assert.equal(res.status, 200, path);
      assert.equal(res.headers['x-backend'], 'demo-under-test', path);
      for (const name of ['x-session-update', 'x-session-login', 'x-session-logout']) assert.equal(res.headers[name], undefined, `${path} ${name}`);
    }
  });

  it('the page shows the backend, the principal, the draft and the evicted notice', async () => {
    const page = await httpRequest(`${app.url}/`, { headers: { 'X-Session': mint({ sub: 'alice', data: { counter: 3, draft: '<b>x</b>' } }) } });
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.body, /demo-under-test/);
    assert.match(page.body, /alice/);
    assert.match(page.body, /&#60;b&#62;x&#60;\/b&#62;/, 'the draft is escaped');
    assert.match(page.body, /class="notice hidden"/);
    const byClaims = await httpRequest(`${app.url}/`, { headers: { 'X-Session': mint({ status: 'evicted' }) } });
    assert.match(byClaims.body, /class="notice"/);
    const byHeader = await httpRequest(`${app.url}/`, { headers: { 'X-Session-Status': 'evicted' } });
    assert.match(byHeader.body, /class="notice"/);
    assert.match(byHeader.body, /signed in elsewhere/);
  });

  it('/debug/headers returns the request headers it received', async () => {
    const body = json(await httpRequest(`${app.url}/debug/headers`, { headers: { 'X-Request-Id': 'rid-1', 'X-Forwarded-For': '10.0.0.1' } }));
    assert.equal(body['x-request-id'], 'rid-1');
    assert.equal(body['x-forwarded-for'], '10.0.0.1');
  });

  it('healthz, 404, 405 and slow', async () => {
    const health = await httpRequest(`${app.url}/healthz`);
    assert.deepEqual([health.status, health.body], [200, 'ok']);
    const missing = await httpRequest(`${app.url}/nope`);
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['x-backend'], 'demo-under-test');
    assert.equal((await httpRequest(`${app.url}/api/login`)).status, 405);
    const slow = await httpRequest(`${app.url}/api/slow?ms=20`);
    assert.deepEqual(json(slow), { backend: 'demo-under-test', ms: 20 });
    assert.equal((await httpRequest(`${app.url}/api/slow?ms=-1`)).status, 400);
  });

  it('echo streams the body back; upload counts it', async () => {
    const payload = Buffer.alloc(3 * 1024 * 1024 + 17, 'ab');
    const echo = await httpRequest(`${app.url}/api/echo`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: payload });
    assert.equal(echo.status, 200);
    assert.equal(echo.body.length, payload.length);
    assert.equal(echo.body, payload.toString());
    const upload = await httpRequest(`${app.url}/api/upload`, { method: 'POST', body: payload });
    assert.deepEqual(json(upload), { backend: 'demo-under-test', bytes: payload.length });
  });

  it('/ws says hello with the backend and principal, then echoes', async () => {
    const ws = new WebSocket(`${app.url.replace('http', 'ws')}/ws`, { headers: { 'X-Session': mint({ sub: 'alice' }) } });
    const messages: { data: string; binary: boolean }[] = [];
    ws.on('message', (data, binary) => messages.push({ data: data.toString(), binary }));
    const upgrade = new Promise<string | undefined>((resolve) => ws.once('upgrade', (res) => resolve(res.headers['x-backend'] as string | undefined)));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    assert.equal(await upgrade, 'demo-under-test');
    await waitFor(() => messages.length >= 1, { what: 'hello' });
    const hello = JSON.parse(messages[0]!.data) as Record<string, unknown>;
    assert.equal(hello.backend, 'demo-under-test');
    assert.equal(hello.principal, 'alice');
    ws.send('ping-1');
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await waitFor(() => messages.length >= 3, { what: 'echoes' });
    assert.deepEqual(messages.slice(1), [{ data: 'ping-1', binary: false }, { data: '\u0001\u0002\u0003', binary: true }]);
    ws.close(1000);
    await new Promise((resolve) => ws.once('close', resolve));
  });
});

describe('demo backend header key', () => {
  it('prefers SESSION_HEADER_SECRET over the key derived from SESSION_SECRET', async () => {
    const headerSecret = 'explicit-header-secret-0123456789';
    const app = await DemoProcess.start({ env: { SESSION_SECRET, SESSION_HEADER_SECRET: headerSecret } });
    try {
      const ok = json(await httpRequest(`${app.url}/api/whoami`, { headers: { 'X-Session': mint({ sub: 'bob' }, Buffer.from(headerSecret)) } }));
      assert.equal(ok.principal, 'bob');
      assert.equal(app.name, `127.0.0.1:${app.port}`, 'the default name is host:port');
      const derived = json(await httpRequest(`${app.url}/api/whoami`, { headers: { 'X-Session': mint({ sub: 'bob' }) } }));
      assert.equal(derived.principal, null);
    } finally {
      assert.equal((await app.stop()).code, 0);
    }
  });
});
