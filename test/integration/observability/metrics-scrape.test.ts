import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { freePort } from '../../helpers/ports.js';
import { waitFor } from '../../helpers/wait-for.js';

const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
const METRICS_TOKEN = 'metrics-token-for-tests-0123456';

/** Debian's promtool, as CI installs it: its lint rules are what Prometheus users run. */
function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

describe('GET /metrics after traffic', () => {
  let backend: DemoBackend;
  let gateway: GatewayUnderTest;
  let deadPort: number;

  before(async () => {
    backend = await startDemoBackend();
    deadPort = await freePort();
    gateway = await startGateway({
      backends: [backend.name, `127.0.0.1:${deadPort}`],
      env: { ADMIN_TOKEN, METRICS_TOKEN },
      serverExtra: 'set $health_check_interval 200ms;',
    });
  });

  after(async () => {
    await gateway?.process.stop();
    await backend?.process.stop();
  });

  const scrape = async (authorization: string | null) => {
    const res = await request(`${gateway.adminUrl}/metrics`, { headers: authorization ? { authorization } : {} });
    return { status: res.statusCode, text: await res.body.text() };
  };

  it('passes promtool check metrics and carries the histograms and per-backend status counts', async () => {
    const login = await request(`${gateway.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":"ann"}' });
    await login.body.dump();
    assert.equal(login.statusCode, 200);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    for (let i = 0; i < 10; i++) await (await request(`${gateway.url}/api/whoami`, { headers: { cookie } })).body.dump();
    const missing = await request(`${gateway.url}/no-such-page`);
    await missing.body.dump();
    // The health checks of the dead backend have run at least once by now (and more with a 200 ms interval).
    const text = await waitFor(async () => {
      const s = await scrape(`Bearer ${METRICS_TOKEN}`);
      return /session_gateway_health_checks_total\{[^}]*result="failure"[^}]*\} [1-9]/.test(s.text) ? s.text : null;
    }, { what: 'a failed health check counted' });

    const lint = await promtoolCheck(text);
    assert.equal(lint.output.trim(), '', `promtool: ${lint.output}`);
    assert.equal(lint.code, 0);

    const server = backend.name.replace(/\./g, '\\.');
    assert.match(text, new RegExp(`^session_gateway_backend_responses_total\\{upstream="app",backend="${server}",code="200"\\} (1[1-9]|[2-9]\\d)`, 'm'));
    assert.match(text, new RegExp(`^session_gateway_backend_responses_total\\{upstream="app",backend="${server}",code="404"\\} 1$`, 'm'));
    assert.match(text, /^session_gateway_request_duration_seconds_bucket\{le="\+Inf",upstream="app",status_class="2xx"\} (1[1-9]|[2-9]\d)/m);
    assert.match(text, /^session_gateway_request_duration_seconds_count\{upstream="app",status_class="4xx"\} 1$/m);
    assert.match(text, new RegExp(`^session_gateway_upstream_response_duration_seconds_count\\{upstream="app",backend="${server}"\\} [1-9]`, 'm'));
    assert.match(text, /^session_gateway_store_operation_duration_seconds_count\{store="memory",operation="commit"\} [1-9]/m);
    assert.match(text, /^session_gateway_store_operation_duration_seconds_bucket\{le="0\.001",store="memory",operation="load"\} \d+/m);
    assert.match(text, /^session_gateway_sessions_created_total 1$/m);
    assert.match(text, /^session_gateway_logins_total 1$/m);
    assert.match(text, /^session_gateway_cluster_sessions\{store="memory:[^"]+"\} 1$/m);
    assert.match(text, /^session_gateway_client_connections\{listen="127\.0\.0\.1:\d+"\} \d+$/m);
    assert.match(text, /^session_gateway_client_sent_bytes_total [1-9]\d*$/m);
    assert.match(text, /^session_gateway_client_received_bytes_total [1-9]\d*$/m);
    assert.match(text, /^session_gateway_retries_total \d+$/m);
    assert.match(text, /^session_gateway_build_info\{version="\d+\.\d+\.\d+[^"]*",nodejs="\d+\.\d+\.\d+"\} 1$/m);
    assert.match(text, /^session_gateway_config_generation 1$/m);
    // Node's process metrics under their standard names, as stock dashboards expect them.
    assert.match(text, /^process_cpu_seconds_total \d/m);
    assert.match(text, /^nodejs_eventloop_lag_seconds \d/m);
    assert.doesNotMatch(text, /session_gateway_process_/);
  });

  it('METRICS_TOKEN reads /metrics and nothing else', async () => {
    assert.equal((await scrape(null)).status, 401);
    assert.equal((await scrape('Bearer wrong')).status, 401);
    assert.equal((await scrape(`Bearer ${METRICS_TOKEN}`)).status, 200);
    assert.equal((await scrape(`Bearer ${ADMIN_TOKEN}`)).status, 200);
    const backends = await request(`${gateway.adminUrl}/api/backends`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    await backends.body.dump();
    assert.equal(backends.statusCode, 401);
    const drain = await request(`${gateway.adminUrl}/api/backends/${encodeURIComponent(backend.name)}/drain`, {
      method: 'POST', headers: { authorization: `Bearer ${METRICS_TOKEN}`, 'content-type': 'application/json' }, body: '{}',
    });
    await drain.body.dump();
    assert.equal(drain.statusCode, 401, 'the read-only token cannot drain');
  });
});

describe('METRICS_ALLOW_LOOPBACK=on', () => {
  let backend: DemoBackend;
  let gateway: GatewayUnderTest;

  before(async () => {
    backend = await startDemoBackend();
    gateway = await startGateway({ backends: [backend.name], env: { ADMIN_TOKEN, METRICS_ALLOW_LOOPBACK: 'on' } });
  });

  after(async () => {
    await gateway?.process.stop();
    await backend?.process.stop();
  });

  it('serves a scrape from loopback without a token, and still guards the rest', async () => {
    const metrics = await request(`${gateway.adminUrl}/metrics`);
    const text = await metrics.body.text();
    assert.equal(metrics.statusCode, 200);
    assert.match(text, /^session_gateway_build_info\{/m);
    const backends = await request(`${gateway.adminUrl}/api/backends`);
    await backends.body.dump();
    assert.equal(backends.statusCode, 401);
  });
});
