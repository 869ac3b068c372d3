import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { WebSocket } from 'ws';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { readEnvSettings } from '../../../gateway/config/env.js';
import { loadGatewayConfig } from '../../../gateway/config/load-config.js';
import { createLogger } from '../../../gateway/log.js';
import { createGateway } from '../../../gateway/main.js';
import { startGateway, TEST_SECRET, writeConfig, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { freePort } from '../../helpers/ports.js';
import { waitFor } from '../../helpers/wait-for.js';

const get = async (url: string, headers: Record<string, string> = {}) => {
  const res = await request(url, { headers });
  await res.body.dump();
  return res.statusCode;
};

const accessLines = (gateway: GatewayUnderTest) => gateway.process.records().filter((r) => r.event === 'access');

describe('access log by default: one JSON line per request on stdout', () => {
  let backend: DemoBackend;
  let gateway: GatewayUnderTest;

  before(async () => {
    backend = await startDemoBackend();
    gateway = await startGateway({
      backends: [backend.name],
      serverExtra: 'set $gateway_request_id_header X-Request-Id;',
      locations: 'location / { proxy_pass http://app; } location /quiet/ { access_log off; proxy_pass http://app/; }',
    });
  });

  after(async () => {
    await gateway?.process.stop();
    await backend?.process.stop();
  });

  it('carries the request id, method, path, status, bytes, request time, upstream address and status', async () => {
    assert.equal(await get(`${gateway.url}/api/whoami?x=1`, { 'x-request-id': 'req-one-0001' }), 200);
    const line = await waitFor(() => accessLines(gateway).find((r) => r.request_id === 'req-one-0001'), { what: 'the access line' });
    assert.equal(line.method, 'GET');
    assert.equal(line.path, '/api/whoami');
    assert.equal(line.args, 'x=1');
    assert.equal(line.status, 200);
    assert.equal(typeof line.request_time, 'number');
    assert.ok((line.request_time as number) >= 0);
    assert.ok((line.bytes_sent as number) > 0);
    assert.equal(line.upstream_addr, backend.name);
    assert.equal(line.upstream_status, '200');
    assert.match(String(line.upstream_response_time), /^\d+\.\d{3}$/);
    assert.equal(line.remote_addr, '127.0.0.1');
    assert.match(String(line.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    // A second request's line is there: had the first been written twice, both copies would be too.
    await get(`${gateway.url}/api/whoami`, { 'x-request-id': 'req-two-0002' });
    await waitFor(() => accessLines(gateway).find((r) => r.request_id === 'req-two-0002'), { what: 'the second line' });
    assert.equal(accessLines(gateway).filter((r) => r.request_id === 'req-one-0001').length, 1);
  });

  it('logs the gateway\'s own answers too, with no upstream', async () => {
    assert.equal(await get(`${gateway.url}/no/such/location/%zz`, { 'x-request-id': 'req-bad-0003' }), 400);
    const line = await waitFor(() => accessLines(gateway).find((r) => r.status === 400 && r.request_id !== 'req-one-0001'), { what: 'the 400 line' });
    assert.equal(line.upstream_addr, '');
    assert.equal(line.upstream_status, '');
  });

  it('logs a WebSocket when its tunnel closes: 101, the tunnel\'s bytes, the backend', async () => {
    const ws = new WebSocket(`${gateway.url.replace('http', 'ws')}/ws`, { headers: { 'x-request-id': 'req-ws-0006' } });
    await new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve());
      ws.once('error', reject);
    });
    assert.equal(accessLines(gateway).filter((r) => r.request_id === 'req-ws-0006').length, 0, 'no line while the tunnel is open');
    ws.close(1000);
    const line = await waitFor(() => accessLines(gateway).find((r) => r.request_id === 'req-ws-0006'), { what: 'the tunnel\'s line' });
    assert.equal(line.status, 101);
    assert.equal(line.path, '/ws');
    assert.equal(line.upstream_addr, backend.name);
    assert.equal(line.upstream_status, '101');
    assert.ok((line.bytes_sent as number) > 100, 'the 101 head and the hello message');
  });

  it('access_log off; writes nothing for its location', async () => {
    assert.equal(await get(`${gateway.url}/quiet/api/whoami`, { 'x-request-id': 'req-quiet-0004' }), 200);
    await get(`${gateway.url}/api/whoami`, { 'x-request-id': 'req-loud-0005' });
    await waitFor(() => accessLines(gateway).find((r) => r.request_id === 'req-loud-0005'), { what: 'the line after' });
    assert.equal(accessLines(gateway).filter((r) => r.request_id === 'req-quiet-0004').length, 0);
  });
});

describe('log_format and access_log to a file', () => {
  let backend: DemoBackend;
  let other: DemoBackend;
  let gateway: GatewayUnderTest;
  const dir = mkdtempSync(join(tmpdir(), 'sg-access-'));
  const file = join(dir, 'access.log');
  const lines = (path = file) => (existsSync(path) ? readFileSync(path, 'latin1').split('\n').filter(Boolean) : []);

  before(async () => {
    backend = await startDemoBackend();
    other = await startDemoBackend();
    gateway = await startGateway({
      backends: [backend.name],
      httpExtra: `log_format custom '$remote_addr [$time_local] "$request" $status $body_bytes_sent up=$upstream_addr/$upstream_status t=$request_time "$http_x_note" sid=$session_sid who=$session_principal';
        log_format quoted escape=json '{"note":"$http_x_note","ua":"$http_user_agent"}';
        access_log ${file} custom;
        access_log ${join(dir, 'json.log')} quoted;
        log_format tries '$request_uri addr=$upstream_addr status=$upstream_status connect=$upstream_connect_time sent=$upstream_bytes_sent received=$upstream_bytes_received';
        upstream twice { server ${backend.name}; server ${other.name}; }`,
      locations: `location / { proxy_pass http://app; }
        location /api/counter { limit_except GET { access_log ${join(dir, 'writes.log')} custom; } proxy_pass http://app; }
        location /twice/ { access_log ${join(dir, 'tries.log')} tries; proxy_next_upstream http_404; proxy_pass http://twice/; }
        location /own/ { access_log ${join(dir, 'tries.log')} tries; return 204; }`,
    });
  });

  after(async () => {
    await gateway?.process.stop();
    await backend?.process.stop();
    await other?.process.stop();
  });

  it('writes the custom format, with the session handle and the principal it asks for', async () => {
    const login = await request(`${gateway.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":"ann"}' });
    await login.body.dump();
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    await get(`${gateway.url}/api/whoami?a=b`, { cookie, 'x-note': 'say "hi"\\there' });
    const line = await waitFor(() => lines().find((l) => l.includes('/api/whoami?a=b')), { what: 'the custom line' });
    const m = /^127\.0\.0\.1 \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET \/api\/whoami\?a=b HTTP\/1\.1" 200 (\d+) up=([^/]+)\/200 t=(\d+\.\d{3}) "(.*)" sid=(\S+) who=ann$/.exec(line);
    assert.ok(m, line);
    assert.ok(Number(m[1]) > 0);
    assert.equal(m[2], backend.name);
    assert.equal(m[4], 'say \\x22hi\\x22\\x5Cthere', 'escape=default: quotes and backslashes as \\xHH');
    assert.match(m[5]!, /^[A-Za-z0-9_-]{8,}$/);
    const loginLine = lines().find((l) => l.includes('POST /api/login'));
    assert.match(loginLine ?? '', / sid=[A-Za-z0-9_-]{8,} who=ann$/, 'a session created by the response is logged with it');
    const json = await waitFor(() => lines(join(dir, 'json.log')).find((l) => l.includes('hi')), { what: 'the json line' });
    assert.deepEqual(JSON.parse(json), { note: 'say "hi"\\there', ua: '' });
  });

  it('access_log inside limit_except: the methods it restricts are logged there, the others where the location logs', async () => {
    const post = await request(`${gateway.url}/api/counter?m=post`, { method: 'POST' });
    await post.body.dump();
    await get(`${gateway.url}/api/counter?m=get`);
    const written = await waitFor(() => lines(join(dir, 'writes.log')).find((l) => l.includes('m=post')), { what: 'the POST in writes.log' });
    assert.match(written, /"POST \/api\/counter\?m=post HTTP\/1\.1" \d{3} /);
    await waitFor(() => lines().find((l) => l.includes('m=get')), { what: 'the GET in the location\'s log' });
    assert.ok(!lines().some((l) => l.includes('m=post')), 'the POST is not in the location\'s log');
    assert.ok(!lines(join(dir, 'writes.log')).some((l) => l.includes('m=get')), 'the GET is not in the block\'s log');
  });

  it('$upstream_connect_time, $upstream_bytes_sent, $upstream_bytes_received: one entry per try, "-" without upstream', async () => {
    const tries = () => lines(join(dir, 'tries.log'));
    // proxy_next_upstream http_404 over two entries: a path the backend does not have is tried on both.
    await get(`${gateway.url}/twice/no-such-page`);
    await get(`${gateway.url}/own/x`);
    const two = await waitFor(() => tries().find((l) => l.startsWith('/twice/no-such-page ')), { what: 'a line with two tries' });
    const m = /^\S+ addr=(\S+), (\S+) status=404, 404 connect=(\d+\.\d{3}), (\d+\.\d{3}) sent=(\d+), (\d+) received=(\d+), (\d+)$/.exec(two);
    assert.ok(m, two);
    assert.deepEqual([m[1], m[2]].sort(), [backend.name, other.name].sort());
    for (const sent of [m[5], m[6]]) assert.ok(Number(sent) > 'GET /no-such-page HTTP/1.1\r\n'.length, `the request head went out: ${two}`);
    for (const received of [m[7], m[8]]) assert.ok(Number(received) > 'HTTP/1.1 404 Not Found\r\n\r\n'.length, `a response came back: ${two}`);
    const own = await waitFor(() => tries().find((l) => l.startsWith('/own/x ')), { what: 'the line of the gateway\'s own answer' });
    assert.equal(own, '/own/x addr=- status=- connect=- sent=- received=-');
  });

  it('reopens the file on USR1 after a rename (logrotate)', async () => {
    await get(`${gateway.url}/api/whoami?before=rotate`);
    await waitFor(() => lines().some((l) => l.includes('before=rotate')), { what: 'the line before the rotation' });
    renameSync(file, `${file}.1`);
    process.kill(gateway.process.pid, 'SIGUSR1');
    // The reopen reaches the worker over IPC: poll until a request's line lands in a new file.
    await waitFor(async () => {
      await get(`${gateway.url}/api/whoami?after=rotate`);
      return lines().some((l) => l.includes('after=rotate'));
    }, { what: 'a line in the reopened file' });
    assert.ok(lines(`${file}.1`).some((l) => l.includes('before=rotate')));
    assert.ok(!lines().some((l) => l.includes('before=rotate')), 'the new file starts after the rotation');
  });
});

describe('an access_log file that cannot be opened', () => {
  it('stops start-up with SG_ACCESS_LOG_OPEN_FAILED, as nginx does', async () => {
    const port = await freePort();
    const missing = join(mkdtempSync(join(tmpdir(), 'sg-access-')), 'no-such-dir', 'access.log');
    const { settings, problems } = loadGatewayConfig(writeConfig({ port, backends: ['127.0.0.1:1'], httpExtra: `access_log ${missing};` }));
    assert.deepEqual(problems, []);
    const env = readEnvSettings({ SESSION_SECRET: TEST_SECRET, ADMIN_LISTEN: `127.0.0.1:${await freePort()}` }, []);
    await assert.rejects(createGateway(settings!, env, createLogger({ level: 'silent' }), { admin: false }), (err: { code?: string; message?: string }) => {
      assert.equal(err.code, 'SG_ACCESS_LOG_OPEN_FAILED');
      assert.match(err.message ?? '', /no-such-dir\/access\.log .*cannot be opened: ENOENT/);
      return true;
    });
  });
});
