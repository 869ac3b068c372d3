import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { TestProcess } from '../../helpers/child-process.js';
import { startGateway, TEST_SECRET, writeConfig, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { gatewayCli } from '../../helpers/paths.js';
import { freePort } from '../../helpers/ports.js';
import { runCli } from '../rollout/cli-run.js';

const TOKEN = 'admin-token-for-tests-0123456789';

describe('admin API with ADMIN_TOKEN set', () => {
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

  const get = async (path: string, authorization?: string) => {
    const res = await request(`${gateway.adminUrl}${path}`, { headers: authorization ? { authorization } : {} });
    return { status: res.statusCode, text: await res.body.text() };
  };

  it('refuses a missing or wrong token, accepts the right one', async () => {
    const missing = await get('/api/backends');
    assert.equal(missing.status, 401);
    assert.match(missing.text, /SG_ADMIN_UNAUTHORIZED/);
    assert.equal((await get('/api/backends', 'Bearer wrong-token')).status, 401);
    assert.equal((await get('/metrics', `Bearer ${TOKEN}x`)).status, 401);
    const drain = await request(`${gateway.adminUrl}/api/backends/${encodeURIComponent(backend.name)}/drain`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await drain.body.dump();
    assert.equal(drain.statusCode, 401, 'a state change without the token is refused');
    const ok = await get('/api/backends', `Bearer ${TOKEN}`);
    assert.equal(ok.status, 200);
    assert.equal((JSON.parse(ok.text) as { backends: Array<{ name: string }> }).backends[0]!.name, backend.name);
  });

  it('the CLI passes --token (or ADMIN_TOKEN) and reports a refusal', async () => {
    const wrong = await runCli(['status', '--admin', gateway.adminUrl, '--token', 'nope']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /SG_ADMIN_UNAUTHORIZED/);
    assert.equal((await runCli(['status', '--admin', gateway.adminUrl], { ADMIN_TOKEN: TOKEN })).code, 0);
  });

  it('serves Prometheus metrics and the dashboard', async () => {
    await (await request(`${gateway.url}/api/whoami`)).body.dump();
    const metrics = await get('/metrics', `Bearer ${TOKEN}`);
    assert.match(metrics.text, /session_gateway_requests_total\{status_class="2xx"\} [1-9]/);
    assert.match(metrics.text, /session_gateway_backend_state\{.*state="READY"\} 1/);
    const page = await get('/');
    assert.equal(page.status, 200);
    assert.match(page.text, /<title>session-gateway admin<\/title>/);
    assert.equal((await get('/healthz')).status, 200);
  });
});

describe('admin listener not on loopback', () => {
  it('refuses to start without ADMIN_TOKEN', async () => {
    const port = await freePort();
    const proc = new TestProcess(process.execPath, [gatewayCli, 'start', '-c', writeConfig({ port, backends: ['127.0.0.1:1'] })], {
      SESSION_SECRET: TEST_SECRET,
      ADMIN_LISTEN: `0.0.0.0:${await freePort()}`,
      ADMIN_TOKEN: '',
      REDIS_URL: '',
    });
    assert.equal(await proc.exited(), 1);
    assert.match(proc.lines.join('\n'), /SG_ADMIN_TOKEN_REQUIRED/);
  });
});
