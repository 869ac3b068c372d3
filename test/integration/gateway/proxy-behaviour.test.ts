import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import WebSocket from 'ws';
import { connect } from 'node:net';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { Browser } from '../../helpers/browser.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';

/** The proxy itself, on the embedded store (no REDIS_URL): streaming, timeouts, headers, WebSocket upgrades. */
describe('proxying on the embedded store', () => {
  let backends: DemoBackend[];
  let gateway: GatewayUnderTest;

  before(async () => {
    backends = await Promise.all([startDemoBackend(), startDemoBackend()]);
    gateway = await startGateway({
      backends: backends.map((b) => b.name),
      // The client's X-Request-Id is the id only where the server trusts it (README "Request ids").
      serverExtra: 'set $gateway_request_id_header X-Request-Id;',
      locations: `
        location / { proxy_pass http://app; proxy_set_header Host $host; }
        location /api/upload { client_max_body_size 0; proxy_pass http://app; }
        location /api/slow { proxy_read_timeout 300ms; proxy_pass http://app; }
        location = /exact { proxy_pass http://app/api/whoami; }
        location /behind-lb/ { set $session_trust_forwarded_proto on; proxy_pass http://app/; }`,
    });
  });

  after(async () => {
    await gateway?.process.stop();
    await Promise.all((backends ?? []).map((b) => b.process.stop()));
  });

  it('says at start-up that it runs on the embedded store', async () => {
    await gateway.process.waitForRecord((r) => r.event === 'store.ready' && r.kind === 'memory', 'the store line');
  });

  it('keeps sessions on the embedded store across backends', async () => {
    const browser = new Browser(gateway.url);
    await browser.fetch('/api/login', { json: { user: 'mallory' } });
    await browser.fetch('/api/counter', { method: 'POST' });
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const who = (await browser.fetch('/api/whoami')).json<{ backend: string; principal: string; counter: number }>();
      seen.add(who.backend);
      assert.equal(who.principal, 'mallory');
      assert.equal(who.counter, 1);
    }
    assert.equal(seen.size, 2);
  });

  it('streams a 200 MB upload to the backend without holding it in memory', async () => {
    const total = 200 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, 7);
    let sent = 0;
    const body = new Readable({
      read() {
        if (sent >= total) return this.push(null);
        sent += chunk.length;
        this.push(chunk);
      },
    });
    const peakKb = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${gateway.process.pid}/status`, 'utf8'))?.[1]);
    const before = peakKb();
    const res = await request(`${gateway.url}/api/upload`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(res.statusCode, 200);
    assert.equal((await res.body.json() as { bytes: number }).bytes, total);
    // Holding the body would lift the gateway's peak RSS by 200 MB at least; streaming it moves the peak little.
    const grewKb = peakKb() - before;
    assert.ok(grewKb < 100 * 1024, `gateway peak RSS grew by ${grewKb} kB while 200 MB went through`);
  });

  it('answers 504 when the backend is slower than proxy_read_timeout', async () => {
    const res = await new Browser(gateway.url).fetch('/api/slow?ms=3000');
    assert.equal(res.status, 504);
    assert.match(res.text, /SG_BACKEND_TIMEOUT/);
    await gateway.process.waitForRecord((r) => r.code === 'SG_BACKEND_TIMEOUT', 'a log line for the 504');
  });

  it('sets X-Forwarded-*, keeps a client X-Request-Id, and honours proxy_set_header', async () => {
    // A raw request: HTTP clients rewrite Connection themselves.
    const raw = await rawRequest(gateway.port, 'GET /debug/headers HTTP/1.1\r\nHost: 127.0.0.1:' + gateway.port + '\r\nX-Request-Id: req-42\r\n' +
      'X-Forwarded-For: 203.0.113.9\r\nConnection: close, x-drop-me\r\nX-Drop-Me: 1\r\n\r\n');
    const headers = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4).replace(/^[0-9a-f]+\r\n/, '').replace(/\r\n0\r\n\r\n$/, '')) as Record<string, string>;
    assert.equal(headers['x-request-id'], 'req-42');
    assert.equal(headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
    assert.equal(headers['x-forwarded-proto'], 'http');
    assert.equal(headers['x-forwarded-host'], `127.0.0.1:${gateway.port}`);
    assert.equal(headers.host, '127.0.0.1', 'proxy_set_header Host $host');
    assert.equal(headers['x-drop-me'], undefined, 'a header named in Connection is hop-by-hop');
    const generated = (await new Browser(gateway.url).fetch('/debug/headers')).json<Record<string, string>>();
    assert.match(generated['x-request-id']!, /^[0-9a-f]{32}$/);
  });

  it('marks the cookie Secure only on HTTPS, or on X-Forwarded-Proto: https where that is trusted', async () => {
    const direct = await new Browser(gateway.url).fetch('/api/login', { json: { user: 'sam' }, headers: { 'x-forwarded-proto': 'https' } });
    assert.doesNotMatch(String(direct.headers['set-cookie']), /Secure/i, 'an untrusted X-Forwarded-Proto is ignored');
    const behind = new Browser(gateway.url);
    const viaLb = await behind.fetch('/behind-lb/api/login', { json: { user: 'sam' }, headers: { 'x-forwarded-proto': 'https' } });
    assert.match(String(viaLb.headers['set-cookie']), /; Secure/i);
    const seen = (await behind.fetch('/behind-lb/debug/headers', { headers: { 'x-forwarded-proto': 'https' } })).json<Record<string, string>>();
    assert.equal(seen['x-forwarded-proto'], 'https');
  });

  it('routes an exact location and rewrites the URI as proxy_pass says', async () => {
    const res = await new Browser(gateway.url).fetch('/exact');
    assert.equal(res.status, 200);
    assert.ok('principal' in res.json());
  });

  it('proxies a WebSocket upgrade with the session hydrated', async () => {
    const browser = new Browser(gateway.url);
    await browser.fetch('/api/login', { json: { user: 'wendy' } });
    const ws = new WebSocket(`ws://127.0.0.1:${gateway.port}/ws`, { headers: { cookie: browser.cookieHeader()! } });
    const messages: Array<Record<string, unknown>> = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        messages.push(JSON.parse(String(data)) as Record<string, unknown>);
        if (messages.length === 1) ws.send(JSON.stringify({ ping: 1 }));
        if (messages.length === 2) resolve();
      });
      ws.on('error', reject);
    });
    assert.equal(messages[0]!.type, 'hello');
    assert.equal(messages[0]!.principal, 'wendy');
    assert.deepEqual(messages[1], { ping: 1 });
    ws.close();
  });
});

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}
