import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';

const TOKEN = 'mint-admin-token-0123456789abcdef';

interface Reply<T = Record<string, unknown>> {
  status: number;
  json: T;
}

async function admin<T = Record<string, unknown>>(gateway: GatewayUnderTest, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
  const res = await request(`${gateway.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.statusCode, json: (await res.body.json()) as T };
}

async function whoami(gateway: GatewayUnderTest, cookie: string): Promise<{ principal: string | null; counter: number; draft: string }> {
  const res = await request(`${gateway.url}/api/whoami`, { headers: { cookie } });
  assert.equal(res.statusCode, 200);
  return (await res.body.json()) as { principal: string | null; counter: number; draft: string };
}

type Minted = { batch: string; cookieName: string; sessions: Array<{ principal: string; sid: string; cookie: string }> };

/** Issue 14: logged-in sessions for a load test through the admin API, marked and removed in one call. */
describe('POST /api/sessions/mint (ADMIN_TOKEN set)', () => {
  let backend: DemoBackend;
  let gateway: GatewayUnderTest;

  before(async () => {
    backend = await startDemoBackend();
    gateway = await startGateway({ backends: [backend.name], env: { ADMIN_TOKEN: TOKEN } });
  });

  after(async () => {
    await gateway?.process.stop();
    await backend?.process.stop();
  });

  it('mints a logged-in session with initial attributes: the backend sees the principal and the data', async () => {
    const minted = await admin<Minted>(gateway, 'POST', '/api/sessions/mint', { principal: 'ada', attributes: { counter: 41, draft: 'half-typed ✓' } });
    assert.equal(minted.status, 200, JSON.stringify(minted.json));
    assert.equal(minted.json.cookieName, 'gsid');
    const [session] = minted.json.sessions;
    assert.match(session!.cookie, /^gsid=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(await whoami(gateway, session!.cookie).then((w) => [w.principal, w.counter, w.draft]), ['ada', 41, 'half-typed ✓']);
    // The session is an ordinary one: a backend's write-back applies to it.
    const counter = await request(`${gateway.url}/api/counter`, { method: 'POST', headers: { cookie: session!.cookie } });
    assert.equal(counter.statusCode, 200);
    assert.equal(counter.headers['set-cookie'], undefined, 'no new cookie for a session that exists');
    await counter.body.dump();
    assert.equal((await whoami(gateway, session!.cookie)).counter, 42);
    // Marked: the store records the mint batch as the session's writer until a backend writes it.
    const listed = await admin<{ sessions: Array<{ sid: string; backend: string | null }> }>(gateway, 'GET', '/api/sessions?principal=ada');
    assert.deepEqual(listed.json.sessions.map((s) => s.sid), [session!.sid]);
  });

  it('mints a batch in one call and removes it in one call; other sessions stay', async () => {
    const real = await request(`${gateway.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'real-user' }) });
    const realCookie = String(real.headers['set-cookie']).split(';')[0]!;
    await real.body.dump();
    const minted = await admin<Minted>(gateway, 'POST', '/api/sessions/mint', {
      batch: 'lt-run-1',
      attributes: { plan: 'free' },
      sessions: Array.from({ length: 25 }, (_, i) => ({ principal: `vu-${i}`, attributes: { n: i } })),
    });
    assert.equal(minted.status, 200, JSON.stringify(minted.json));
    assert.equal(minted.json.batch, 'lt-run-1');
    assert.equal(minted.json.sessions.length, 25);
    assert.equal(new Set(minted.json.sessions.map((s) => s.cookie)).size, 25);
    const listed = await admin<{ sessions: Array<{ backend: string | null }> }>(gateway, 'GET', '/api/sessions?principal=vu-7');
    assert.equal(listed.json.sessions[0]!.backend, 'mint:lt-run-1');
    const batches = await admin<{ batches: Array<{ batch: string; count: number }> }>(gateway, 'GET', '/api/sessions/minted');
    assert.deepEqual(batches.json.batches.find((b) => b.batch === 'lt-run-1')?.count, 25);

    const removed = await admin<{ removed: number; gone: number; batches: string[] }>(gateway, 'DELETE', '/api/sessions/minted?batch=lt-run-1');
    assert.equal(removed.status, 200, JSON.stringify(removed.json));
    assert.deepEqual([removed.json.removed, removed.json.gone], [25, 0]);
    for (const s of minted.json.sessions.slice(0, 3)) assert.equal((await whoami(gateway, s.cookie)).principal, null, 'a removed session is gone');
    assert.equal((await whoami(gateway, realCookie)).principal, 'real-user', 'a session that was not minted is untouched');
    const again = await admin(gateway, 'DELETE', '/api/sessions/minted?batch=lt-run-1');
    assert.equal(again.status, 404);
    assert.equal((again.json.error as { code: string }).code, 'SG_MINT_BATCH_NOT_FOUND');
  });

  it('refuses what a backend\'s write-back could not do, with a 400 naming the problem', async () => {
    for (const body of [
      {},
      { principal: '' },
      { principal: 'line\nbreak' },
      { principal: 'x'.repeat(300) },
      { principal: 'ok', attributes: [] },
      { principal: 'ok', attributes: { '': 1 } },
      { principal: 'ok', sessions: [{ principal: 'both' }] },
      { sessions: [] },
      { principal: 'ok', path: 42 },
      { principal: 'ok', batch: 'bad batch name' },
    ]) {
      const reply = await admin(gateway, 'POST', '/api/sessions/mint', body);
      assert.equal(reply.status, 400, `${JSON.stringify(body)} → ${JSON.stringify(reply.json)}`);
      assert.equal((reply.json.error as { code: string }).code, 'SG_ADMIN_BAD_REQUEST');
    }
  });

  it('GET /api/sessions/{sid} shows one session, with the principal a later login gave it; 404 once it ended', async () => {
    const minted = await admin<Minted>(gateway, 'POST', '/api/sessions/mint', { batch: 'lookup', principal: 'grace' });
    const { sid, cookie } = minted.json.sessions[0]!;
    const one = await admin<Record<string, unknown>>(gateway, 'GET', `/api/sessions/${sid}`);
    assert.equal(one.status, 200, JSON.stringify(one.json));
    assert.deepEqual(Object.keys(one.json).sort(), ['backend', 'createdAt', 'lastAccessAt', 'principal', 'sid', 'size']);
    assert.deepEqual([one.json.sid, one.json.principal, one.json.backend], [sid, 'grace', 'mint:lookup']);
    const unguarded = await request(`${gateway.adminUrl}/api/sessions/${sid}`);
    assert.equal(unguarded.statusCode, 401);
    await unguarded.body.dump();
    // The app logs the same browser in as someone else: same session, another principal.
    const relogin = await request(`${gateway.url}/api/login`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ user: 'heidi' }) });
    const newCookie = String(relogin.headers['set-cookie']).split(';')[0]!;
    await relogin.body.dump();
    const after = await admin<{ sid: string; principal: string; backend: string }>(gateway, 'GET', `/api/sessions/${sid}`);
    assert.deepEqual([after.json.sid, after.json.principal, after.json.backend], [sid, 'heidi', backend.name]);
    assert.equal((await admin(gateway, 'DELETE', `/api/sessions/${sid}`)).status, 200);
    const gone = await admin(gateway, 'GET', `/api/sessions/${sid}`);
    assert.deepEqual([gone.status, (gone.json.error as { code: string }).code], [404, 'SG_SESSION_NOT_FOUND']);
    assert.equal((await whoami(gateway, newCookie)).principal, null);
    assert.equal((await admin(gateway, 'GET', '/api/sessions/minted')).status, 200, 'minted is not taken for a sid');
  });

  it('is behind the bearer token like every admin route', async () => {
    const res = await request(`${gateway.adminUrl}/api/sessions/mint`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ principal: 'eve' }) });
    assert.equal(res.statusCode, 401);
    await res.body.dump();
    assert.equal((await admin<{ count: number }>(gateway, 'GET', '/api/sessions?principal=eve')).json.count, 0);
  });
});

describe('POST /api/sessions/mint without ADMIN_TOKEN', () => {
  let backend: DemoBackend;
  let gateway: GatewayUnderTest;

  before(async () => {
    backend = await startDemoBackend();
    gateway = await startGateway({ backends: [backend.name] });
  });

  after(async () => {
    await gateway?.process.stop();
    await backend?.process.stop();
  });

  it('is off: 403 SG_MINT_DISABLED, nothing created', async () => {
    const reply = await admin(gateway, 'POST', '/api/sessions/mint', { principal: 'mallory' });
    assert.equal(reply.status, 403);
    assert.equal((reply.json.error as { code: string }).code, 'SG_MINT_DISABLED');
    assert.equal((await admin<{ count: number }>(gateway, 'GET', '/api/sessions?principal=mallory')).json.count, 0);
    assert.equal((await admin(gateway, 'DELETE', '/api/sessions/minted')).status, 403);
  });
});
