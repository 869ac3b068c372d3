import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { Browser } from '../../helpers/browser.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { repoRoot } from '../../helpers/paths.js';
import { freePort } from '../../helpers/ports.js';
import { examplesRoot } from '../../helpers/python.js';
import { frameworkConfig, startApp, type AppInstance } from './framework-apps.js';

/**
 * session-gateway/express as apps consume it: each app lives in its own folder whose node_modules link the package
 * (what a `file:` dependency installs) and one Express major, so `require('session-gateway/express')` and `import`
 * go through the package's exports map. CommonJS on Express 4, ESM on Express 5, Connect, and a TypeScript consumer.
 */

const appsDir = join(repoRoot, 'test', 'integration', 'adapters', 'apps');

function consumerApp(root: string, name: string, script: string, modules: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(repoRoot, join(dir, 'node_modules', 'session-gateway'), 'dir');
  for (const [as, real] of Object.entries(modules)) symlinkSync(join(repoRoot, 'node_modules', real), join(dir, 'node_modules', as), 'dir');
  const target = join(dir, script.split('/').pop()!);
  copyFileSync(script, target);
  return target;
}

describe('session-gateway/express from apps that install the package', () => {
  const root = mkdtempSync(join(tmpdir(), 'sg-express-'));
  let gateway: GatewayUnderTest;
  const apps: AppInstance[] = [];

  before(async () => {
    const scripts = {
      express4: consumerApp(root, 'express4-cjs', join(examplesRoot, 'express-app', 'app.cjs'), { express: 'express4' }),
      express5: consumerApp(root, 'express5-esm', join(appsDir, 'express-api-app.mjs'), { express: 'express' }),
      connect: consumerApp(root, 'connect-cjs', join(appsDir, 'connect-app.cjs'), { connect: 'connect' }),
    };
    const [e4, e5, c] = await Promise.all(Object.values(scripts).map((script) => startApp('express', { script })));
    apps.push(e4!, e5!, c!);
    const port = await freePort();
    const configFile = join(root, 'gateway.conf');
    writeFileSync(configFile, frameworkConfig(port, [
      { prefix: '/e4/', upstream: 'express4', apps: [e4!] },
      { prefix: '/e5/', upstream: 'express5', apps: [e5!] },
      { prefix: '/connect/', upstream: 'connect', apps: [c!] },
    ]));
    gateway = await startGateway({ backends: [], configFile, port });
  });

  after(async () => {
    await gateway?.process.stop();
    await Promise.all(apps.map((a) => a.process.stop()));
    rmSync(root, { recursive: true, force: true });
  });

  const browser = (prefix: string) => new Browser(`${gateway.url}${prefix}`);

  it('Express 4, CommonJS (the example app unchanged): login with regenerate, counter, 204 autosave, logout', async () => {
    const b = browser('/e4');
    assert.equal((await b.fetch('/api/whoami')).json<{ sessionId: string }>().sessionId, '', 'no session before the first write');
    const login = await b.fetch('/api/login', { json: { user: 'ada' } });
    assert.equal(login.status, 200);
    const setCookie = String(login.headers['set-cookie']);
    assert.match(setCookie, /^gsid=/);
    assert.equal(login.headers['x-session-update'], undefined, 'the gateway strips the write-back');
    assert.equal((await b.fetch('/api/counter', { method: 'POST' })).json<{ counter: number }>().counter, 1);
    assert.equal((await b.fetch('/api/counter', { method: 'POST' })).json<{ counter: number }>().counter, 2);
    assert.equal((await b.fetch('/api/draft', { method: 'PUT', json: { text: 'half-typed' } })).status, 204);
    const who = (await b.fetch('/api/whoami')).json<{ principal: string; counter: number; draft: string; sessionId: string; maxAge: number }>();
    assert.deepEqual([who.principal, who.counter, who.draft], ['ada', 2, 'half-typed']);
    assert.ok(who.sessionId.length > 10);
    assert.ok(who.maxAge > 29 * 60_000 && who.maxAge <= 30 * 60_000, `cookie.maxAge ${who.maxAge} is the idle timeout left`);
    assert.equal((await b.fetch('/api/logout', { method: 'POST' })).status, 200);
    assert.equal(b.cookies.size, 0);
  });

  it('Express 5, ESM: attribute types as JSON stores keep them, delete, non-ASCII, id and sessionID', async () => {
    const b = browser('/e5');
    const login = (await b.fetch('/login', { json: { user: 'grace' } })).json<{ id: string }>();
    assert.equal(login.id, '', 'the gateway creates the session with this response');
    assert.equal((await b.fetch('/types', { method: 'POST' })).status, 204);
    const all = (await b.fetch('/all')).json<{ session: Record<string, unknown>; id: string; sessionID: string }>();
    assert.deepEqual(all.session, {
      user: 'grace', num: 1.5, int: 7, yes: true, nothing: null, nested: { list: [1, 'two', { three: 3 }] }, when: '2026-01-02T00:00:00.000Z', text: 'Zoë ✓ 日本',
    });
    assert.ok(all.id.length > 10);
    assert.equal(all.sessionID, all.id);
  });

  it('Express 5: save() then reload() goes back to the saved state, as a new object', async () => {
    const b = browser('/e5');
    await b.fetch('/login', { json: { user: 'reloader' } });
    assert.deepEqual((await b.fetch('/save-reload', { method: 'POST' })).json(), { saved: 'before', sameObject: false });
    assert.equal((await b.fetch('/all')).json<{ session: { saved: string } }>().session.saved, 'before');
  });

  it('Express 5: regenerate() starts an empty session (a logged-in one is logged out), destroy() ends it', async () => {
    const b = browser('/e5');
    await b.fetch('/login', { json: { user: 'regen' } });
    await b.fetch('/types', { method: 'POST' });
    const cookieBefore = b.cookies.get('gsid');
    assert.deepEqual((await b.fetch('/regenerate-anonymous', { method: 'POST' })).json(), { keys: ['fresh'] });
    // The login went with the old session: the gateway ended it and put what the app set since in a new one.
    assert.notEqual(b.cookies.get('gsid'), cookieBefore);
    assert.deepEqual((await b.fetch('/all')).json<{ session: object }>().session, { fresh: true });
    const stale = new Browser(`${gateway.url}/e5`);
    stale.cookies.set('gsid', cookieBefore!);
    assert.deepEqual((await stale.fetch('/all')).json<{ session: object }>().session, {});

    const c = browser('/e5');
    await c.fetch('/login', { json: { user: 'destroyer' } });
    assert.deepEqual((await c.fetch('/destroy', { method: 'POST' })).json(), { gone: true });
    assert.equal(c.cookies.size, 0);
    assert.deepEqual((await c.fetch('/all')).json<{ session: object }>().session, {});
  });

  it('Express 5: cookie.maxAge is read-only (the gateway owns the lifetime), touch() chains, a late save() is an error', async () => {
    const b = browser('/e5');
    await b.fetch('/login', { json: { user: 'cookie' } });
    const cookie = (await b.fetch('/cookie')).json<{ before: number; after: number; originalMaxAge: number; expires: string; httpOnly: boolean; touched: boolean }>();
    assert.equal(cookie.originalMaxAge, 30 * 60_000);
    assert.ok(cookie.after <= cookie.before && cookie.after > 1000, 'assigning maxAge changes nothing');
    assert.ok(Date.parse(cookie.expires) > Date.now());
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.touched, true);
    assert.equal((await b.fetch('/late-save')).text, 'head sent;SG_SESSION_SAVE_TOO_LATE');
    assert.equal('late' in (await b.fetch('/all')).json<{ session: object }>().session, false);
    const e5 = apps[1]!;
    assert.match(e5.process.tail(), /cookie\.maxAge is set by the gateway/);
  });

  it('Express 5: a session value JSON cannot encode leaves the session unchanged, the response goes out, a warning says why', async () => {
    const b = browser('/e5');
    await b.fetch('/login', { json: { user: 'loopy' } });
    const res = await b.fetch('/circular', { method: 'POST' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { answered: true });
    assert.deepEqual((await b.fetch('/all')).json<{ session: object }>().session, { user: 'loopy' });
    assert.match(apps[1]!.process.tail(), /the session was not saved: .*circular/i);
  });

  it('Connect: regenerate and a counter on plain request/response objects', async () => {
    const b = browser('/connect');
    assert.equal((await b.fetch('/login', { method: 'POST' })).status, 200);
    await b.fetch('/');
    assert.deepEqual((await b.fetch('/')).json(), { visits: 2, principal: 'connect-user' });
  });

  it('Connect: a non-ASCII principal arrives as itself, whatever way the app writes its body', async () => {
    const b = browser('/connect');
    assert.equal((await b.fetch('/login-intl', { method: 'POST' })).status, 200);
    assert.equal((await b.fetch('/')).json<{ principal: string }>().principal, 'zoë-日本');
    const res = await request(`${gateway.adminUrl}/api/sessions?principal=${encodeURIComponent('zoë-日本')}`);
    assert.equal(((await res.body.json()) as { count: number }).count, 1);
  });

  it('a header that does not verify is no session (called around the gateway), logged once', async () => {
    const forged = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sid: 'x', sub: 'mallory', data: { user: { id: 'mallory' } }, exp: 9e9 })).toString('base64url')}.c2lnbmF0dXJl`;
    const direct = apps[0]!;
    for (let i = 0; i < 2; i++) {
      const res = await request(`http://${direct.name}/api/whoami`, { headers: { 'x-session': forged } });
      assert.equal((await res.body.json() as { principal: unknown }).principal, null);
    }
    const warnings = direct.process.tail().split('\n').filter((l) => l.includes('ignoring an X-Session header'));
    assert.equal(warnings.length, 1, direct.process.tail());
  });

  it('TypeScript: the package types resolve through the exports map and describe req.session', async () => {
    const dir = join(root, 'ts-consumer');
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    symlinkSync(repoRoot, join(dir, 'node_modules', 'session-gateway'), 'dir');
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'], typeRoots: [join(repoRoot, 'node_modules', '@types')], skipLibCheck: true } }));
    writeFileSync(join(dir, 'app.ts'), `import type { IncomingMessage, ServerResponse } from 'node:http';
import { gatewaySession, type SessionRequest } from 'session-gateway/express';
const middleware: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void = gatewaySession({ principal: 'user.id', key: 'k'.repeat(32) });
interface AppSession { user?: { id: string }; counter?: number }
export function handler(req: SessionRequest<AppSession>): number | null {
  req.session.regenerate((err?: Error) => { if (err) throw err; });
  const left: number | null = req.session.cookie.maxAge;
  req.session.counter = (req.session.counter ?? 0) + 1;
  // @ts-expect-error regenerate takes a callback: the types are real, not \`any\`
  req.session.regenerate(42);
  return req.session.user ? left : req.session.counter;
}
void middleware;
`);
    writeFileSync(join(dir, 'app.cts'), `import express = require('session-gateway/express');
export const m = express.gatewaySession({ principal: 'user' });
`);
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const child = spawn(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    assert.equal(await new Promise((resolve) => child.once('close', resolve)), 0, output);
  });
});
