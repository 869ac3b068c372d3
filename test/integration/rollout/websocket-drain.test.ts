import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { Browser } from '../../helpers/browser.js';
import { connectDemoSocket } from '../../helpers/demo-socket.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';

interface Hello {
  type: string;
  backend: string;
  principal: string | null;
}

const connect = (url: string, cookie: string) => connectDemoSocket<Hello>(url, cookie);

describe('a WebSocket through the gateway to a backend being drained', () => {
  let backends: DemoBackend[];
  let gateway: GatewayUnderTest;

  before(async () => {
    backends = await Promise.all([startDemoBackend(), startDemoBackend()]);
    gateway = await startGateway({ backends: backends.map((b) => b.name) });
  });

  after(async () => {
    await gateway?.process.stop();
    await Promise.all((backends ?? []).map((b) => b.process.stop()));
  });

  it('is closed with 1012 and reconnects to another backend with its session intact', async () => {
    const browser = new Browser(gateway.url);
    assert.equal((await browser.fetch('/api/login', { json: { user: 'wsuser' } })).status, 200);
    const cookie = browser.cookieHeader()!;
    const wsUrl = `ws://127.0.0.1:${gateway.port}/ws`;
    const { ws, hello } = await connect(wsUrl, cookie);
    assert.equal(hello.principal, 'wsuser');
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    const drain = await request(`${gateway.adminUrl}/api/backends/${encodeURIComponent(hello.backend)}/drain`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(drain.statusCode, 200, await drain.body.text());
    assert.equal(await closed, 1012);

    const again = await connect(wsUrl, cookie);
    assert.notEqual(again.hello.backend, hello.backend);
    assert.equal(again.hello.principal, 'wsuser', 'the session survived the reconnect');
    const echoed = new Promise<string>((resolve) => again.ws.once('message', (d) => resolve(String(d))));
    again.ws.send('still here');
    assert.equal(await echoed, 'still here');
    again.ws.close();
    const ready = await request(`${gateway.adminUrl}/api/backends/${encodeURIComponent(hello.backend)}/ready`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await ready.body.dump();
    assert.equal(ready.statusCode, 200);
  });
});
