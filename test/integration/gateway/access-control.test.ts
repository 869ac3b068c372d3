import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import WebSocket from 'ws';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { freePort } from '../../helpers/ports.js';
import { TestRedis } from '../../helpers/redis-server.js';
import { ScriptedBackend } from '../../helpers/scripted-backend.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * allow/deny, auth_basic, limit_except, internal and satisfy through the real gateway, on IPv4 and on a dual-stack
 * IPv6 listener, with hashes made by other tools (libxcrypt's bcrypt, `openssl passwd -apr1`, `{SHA}`).
 */
const USERS = [
  'bcrypt-user:$2y$05$abcdefghijklmnopqrstuuIKm9t90uByc85ZP3lLy/TLuFWckpMjq',
  'apr1-user:$apr1$saltsalt$AvsCmDMoG0SnIaLpX54vy0',
  'sha-user:{SHA}70QCi8RF0Slo71PshBP5IXr7vAU=',
].join('\n');
const PASSWORD = 'sécret pass';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('access control', () => {
  let redis: TestRedis;
  let backend: ScriptedBackend;
  let gateway: GatewayUnderTest;
  let dir: string;
  let v6Port: number;
  const reached: string[] = [];

  before(async () => {
    redis = await TestRedis.start();
    backend = new ScriptedBackend();
    backend.respond = (req, res) => {
      reached.push(req.url ?? '');
      if (req.url === '/login') res.setHeader('x-session-login', 'alice');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ url: req.url, method: req.method, authorization: req.headers.authorization ?? null }));
    };
    const name = await backend.listen();
    dir = mkdtempSync(join(tmpdir(), 'sg-access-'));
    writeFileSync(join(dir, 'users'), `${USERS}\n`);
    const port = await freePort();
    v6Port = await freePort();
    const configFile = join(dir, 'gateway.conf');
    // Written as it would be for nginx: the user file is relative to the config file's directory.
    writeFileSync(configFile, `events {}
http {
  upstream app { server ${name}; }
  auth_basic_user_file users;
  server {
    listen 127.0.0.1:${port};
    listen [::]:${v6Port};
    location / { proxy_pass http://app; }
    location /denied/ { deny all; proxy_pass http://app; }
    location /v4-loopback/ { allow 127.0.0.0/8; deny all; proxy_pass http://app; }
    location /v6-loopback/ { allow ::1; deny all; proxy_pass http://app; }
    location /lan/ { allow 10.0.0.0/8; allow 2001:db8::/32; deny all; proxy_pass http://app;
      location /lan/open/ { allow all; proxy_pass http://app; }
      location /lan/inherited/ { proxy_pass http://app; } }
    location /staff/ { auth_basic "Staff area"; auth_delay 10ms; proxy_pass http://app; }
    location /edit/ { limit_except GET { deny all; } proxy_pass http://app; }
    location /write/ { limit_except GET OPTIONS { auth_basic "Writers"; } proxy_pass http://app; }
    location /internal/ { internal; proxy_pass http://app; }
    location /either/ { satisfy any; allow 10.0.0.0/8; deny all; auth_basic "Either"; proxy_pass http://app; }
    location /either-local/ { satisfy any; allow 127.0.0.1; deny all; auth_basic "Either"; proxy_pass http://app; }
    location /both/ { allow 127.0.0.1; deny all; auth_basic "Both"; proxy_pass http://app; }
  }
}
`);
    gateway = await startGateway({ backends: [], configFile, port, redisUrl: redis.url });
  });

  after(async () => {
    await gateway?.process.stop();
    await backend?.close();
    await redis?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function get(path: string, options: { method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS'; headers?: Record<string, string>; base?: string } = {}) {
    const res = await request(`${options.base ?? gateway.url}${path}`, { method: options.method ?? 'GET', headers: options.headers });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text };
  }

  it('deny all, moved from nginx unchanged, answers 403 and costs no store round trip', async () => {
    const login = await request(`${gateway.url}/login`, { method: 'POST' });
    await login.body.dump();
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const storeCalls = async () => {
      const info = await redis.client().info('commandstats');
      return [...info.matchAll(/cmdstat_(eval|evalsha|fcall|hgetall|get):calls=(\d+)/g)].reduce((n, m) => n + Number(m[2]), 0);
    };
    const before = await storeCalls();
    const refused = await get('/denied/page', { headers: { cookie } });
    assert.equal(refused.status, 403);
    assert.equal(refused.headers['x-gateway-error'], 'SG_ACCESS_DENIED');
    assert.equal(await storeCalls(), before, 'a refused request loads no session');
    assert.equal((await get('/open-page', { headers: { cookie } })).status, 200);
    await gateway.process.waitForRecord((r) => r.event === 'access.refused' && r.reason === 'rule' && r.url === '/denied/page', 'the refusal log line');
  });

  it('allow/deny by CIDR on IPv4, on IPv6, and for IPv4 clients of a dual-stack listener', async () => {
    const v6 = `http://[::1]:${v6Port}`;
    const mapped = `http://127.0.0.1:${v6Port}`;
    assert.equal((await get('/v4-loopback/x')).status, 200);
    assert.equal((await get('/v4-loopback/x', { base: mapped })).status, 200, '::ffff:127.0.0.1 is checked against the IPv4 rules');
    assert.equal((await get('/v4-loopback/x', { base: v6 })).status, 403);
    assert.equal((await get('/v6-loopback/x', { base: v6 })).status, 200);
    assert.equal((await get('/v6-loopback/x')).status, 403);
    for (const base of [gateway.url, v6]) assert.equal((await get('/lan/x', { base })).status, 403);
  });

  it('a nested location with its own rules replaces the inherited list; one without inherits it', async () => {
    assert.equal((await get('/lan/open/x')).status, 200);
    assert.equal((await get('/lan/inherited/x')).status, 403);
  });

  it('X-Forwarded-For does not change the address allow/deny see', async () => {
    const res = await get('/lan/x', { headers: { 'x-forwarded-for': '10.1.2.3', 'x-real-ip': '10.1.2.3' } });
    assert.equal(res.status, 403);
  });

  it('auth_basic asks for credentials and accepts bcrypt, apr1 and {SHA} entries', async () => {
    const asked = await get('/staff/');
    assert.equal(asked.status, 401);
    assert.equal(asked.headers['www-authenticate'], 'Basic realm="Staff area"');
    assert.equal(asked.headers['x-gateway-error'], 'SG_AUTH_REQUIRED');
    for (const user of ['bcrypt-user', 'apr1-user', 'sha-user']) {
      const res = await get('/staff/report', { headers: { authorization: basic(user, PASSWORD) } });
      assert.equal(res.status, 200, user);
      assert.equal(JSON.parse(res.text).authorization, basic(user, PASSWORD), 'the credentials reach the backend, as nginx passes them');
    }
  });

  it('refuses a wrong password and an unknown user alike, and never logs a password', async () => {
    for (const authorization of [basic('bcrypt-user', 'wrong'), basic('apr1-user', `${PASSWORD}x`), basic('nobody', PASSWORD), 'Basic !!!', 'Bearer x']) {
      const res = await get('/staff/', { headers: { authorization } });
      assert.equal(res.status, 401, authorization);
      assert.equal(res.headers['www-authenticate'], 'Basic realm="Staff area"');
    }
    await gateway.process.waitForRecord((r) => r.reason === 'password_mismatch' && r.user === 'bcrypt-user', 'the mismatch log line');
    await gateway.process.waitForRecord((r) => r.reason === 'unknown_user' && r.user === 'nobody', 'the unknown user log line');
    const logs = gateway.process.lines.join('\n');
    assert.doesNotMatch(logs, /sécret|wrong|YmNyeXB0/, 'no password and no Authorization value in any log line');
  });

  it('limit_except: the listed methods (and HEAD with GET) pass, the others get the block rules', async () => {
    assert.equal((await get('/edit/doc')).status, 200);
    assert.equal((await get('/edit/doc', { method: 'HEAD' })).status, 200);
    assert.equal((await get('/edit/doc', { method: 'POST' })).status, 403);
    assert.equal((await get('/edit/doc', { method: 'DELETE' })).status, 403);
    assert.equal((await get('/write/doc', { method: 'OPTIONS' })).status, 200);
    const put = await get('/write/doc', { method: 'PUT' });
    assert.equal(put.status, 401);
    assert.equal(put.headers['www-authenticate'], 'Basic realm="Writers"');
    assert.equal((await get('/write/doc', { method: 'PUT', headers: { authorization: basic('apr1-user', PASSWORD) } })).status, 200);
  });

  it('internal: a client request gets 404', async () => {
    const res = await get('/internal/secret');
    assert.equal(res.status, 404);
    assert.equal(reached.some((url) => url.startsWith('/internal/')), false);
  });

  it('satisfy any: an allowed address or right credentials; satisfy all: both', async () => {
    const either = await get('/either/x');
    assert.equal(either.status, 401, 'a denied address is asked for credentials');
    assert.equal((await get('/either/x', { headers: { authorization: basic('sha-user', PASSWORD) } })).status, 200);
    assert.equal((await get('/either-local/x')).status, 200, 'an allowed address needs no credentials');
    assert.equal((await get('/both/x')).status, 401);
    assert.equal((await get('/both/x', { headers: { authorization: basic('sha-user', PASSWORD) } })).status, 200);
    assert.equal((await get('/both/x', { base: `http://[::1]:${v6Port}`, headers: { authorization: basic('sha-user', PASSWORD) } })).status, 403);
  });

  it('refuses a WebSocket upgrade the same way, before any backend is involved', async () => {
    const status = (path: string, headers: Record<string, string> = {}) =>
      new Promise<{ code: number; challenge: string | undefined }>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${gateway.port}${path}`, { headers });
        ws.on('unexpected-response', (_req, res) => resolve({ code: res.statusCode ?? 0, challenge: res.headers['www-authenticate'] as string | undefined }));
        ws.on('open', () => reject(new Error('the upgrade was accepted')));
        ws.on('error', () => undefined);
      });
    assert.deepEqual(await status('/denied/ws'), { code: 403, challenge: undefined });
    assert.deepEqual(await status('/staff/ws'), { code: 401, challenge: 'Basic realm="Staff area"' });
    assert.deepEqual(await status('/internal/ws'), { code: 404, challenge: undefined });
  });

  it('an edit of the user file counts without a restart; a removed file refuses with 403', async () => {
    const users = join(dir, 'users');
    writeFileSync(users, `${USERS}\nnewcomer:{PLAIN}welcome\n`);
    await waitFor(async () => (await get('/staff/', { headers: { authorization: basic('newcomer', 'welcome') } })).status === 200, { what: 'the added user', timeoutMs: 15_000 });
    unlinkSync(users);
    await waitFor(async () => (await get('/staff/', { headers: { authorization: basic('newcomer', 'welcome') } })).status === 403, { what: 'the refusal without a user file', timeoutMs: 15_000 });
    await gateway.process.waitForRecord((r) => r.event === 'access.user_file_failed' && r.cause === 'ENOENT', 'the missing file log line');
    writeFileSync(users, `${USERS}\n`);
    await waitFor(async () => (await get('/staff/', { headers: { authorization: basic('sha-user', PASSWORD) } })).status === 200, { what: 'the file back', timeoutMs: 15_000 });
  });
});
