import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { Browser } from '../../helpers/browser.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { TestRedis } from '../../helpers/redis-server.js';
import { waitFor } from '../../helpers/wait-for.js';

interface WhoAmI { principal: string | null; counter: number; draft: string }

/** Doing the bad thing: Redis crashes and comes back, a client sends its request head too slowly. */
describe('faults: a Redis crash, a slow client', () => {
  let redis: TestRedis;
  let backends: DemoBackend[];
  let gateway: GatewayUnderTest;

  before(async () => {
    redis = await TestRedis.start({ persistent: true });
    backends = await Promise.all([startDemoBackend(), startDemoBackend()]);
    gateway = await startGateway({ backends: backends.map((b) => b.name), redisUrl: redis.url, serverExtra: 'client_header_timeout 1s;' });
  });

  after(async () => {
    await gateway?.process.stop();
    await Promise.all((backends ?? []).map((b) => b.process.stop()));
    await redis?.close();
  });

  it('a Redis crash answers 503 while it is down, then every session is back, unchanged', async () => {
    const browser = new Browser(gateway.url);
    await browser.fetch('/api/login', { json: { user: 'olga' } });
    await browser.fetch('/api/counter', { method: 'POST' });
    await browser.fetch('/api/draft', { method: 'PUT', json: { text: 'a form half typed' } });
    await redis.stop();
    const during = await browser.fetch('/api/whoami');
    assert.equal(during.status, 503);
    assert.match(during.text, /SG_STORE_UNAVAILABLE/);
    await gateway.process.waitForRecord((r) => r.code === 'SG_STORE_UNAVAILABLE', 'a log line for the 503');
    const refused = await browser.fetch('/api/counter', { method: 'POST' });
    assert.equal(refused.status, 503, 'a write during the outage is refused, not half applied');
    await redis.restart();
    const who = await waitFor(async () => {
      const res = await browser.fetch('/api/whoami');
      return res.status === 200 ? res.json<WhoAmI>() : null;
    }, { what: 'the gateway to use Redis again' });
    assert.deepEqual([who.principal, who.counter, who.draft], ['olga', 1, 'a form half typed']);
    assert.equal((await browser.fetch('/api/counter', { method: 'POST' })).status, 200);
    assert.equal((await browser.fetch('/api/whoami')).json<WhoAmI>().counter, 2);
  });

  it('a client that never finishes its request head gets 408 after client_header_timeout, with a log line', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(gateway.port, '127.0.0.1', () => socket.write('GET /api/whoami HTTP/1.1\r\nHost: slow\r\nX-Partial: '));
      let data = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (data += chunk));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /SG_CLIENT_TIMEOUT/);
    await gateway.process.waitForRecord((r) => r.code === 'SG_CLIENT_TIMEOUT', 'a log line for the 408');
    // The gateway still serves everyone else.
    assert.equal((await new Browser(gateway.url).fetch('/api/whoami')).status, 200);
  });
});
