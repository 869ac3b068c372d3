import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { ScriptedBackend } from '../../helpers/scripted-backend.js';
import { waitFor } from '../../helpers/wait-for.js';

interface Status {
  backends: Array<{ name: string; longLived: number; cluster: { drained: boolean; longLived: number } }>;
}

/** SSE streams are long-lived: a drain waits for them and ends them after the grace period (5 s by default). */
describe('an SSE stream to a backend being drained', () => {
  const backends = [new ScriptedBackend(), new ScriptedBackend()];
  let names: string[];
  let gateway: GatewayUnderTest;

  before(async () => {
    names = await Promise.all(backends.map((b) => b.listen()));
    for (const [i, b] of backends.entries()) {
      b.respond = (req, res) => {
        if (req.url === '/healthz') return void res.end('ok');
        res.writeHead(200, { 'content-type': 'text/event-stream', 'x-backend': names[i]! });
        res.write('data: hello\n\n');
        const timer = setInterval(() => res.write('data: tick\n\n'), 200);
        res.on('close', () => clearInterval(timer));
      };
    }
    gateway = await startGateway({ backends: names, locations: 'location / { set $session off; proxy_pass http://app; }' });
  });

  after(async () => {
    await gateway?.process.stop();
    await Promise.all(backends.map((b) => b.close()));
  });

  const view = async (name: string) => {
    const res = await request(`${gateway.adminUrl}/api/backends`);
    return ((await res.body.json()) as Status).backends.find((b) => b.name === name)!;
  };

  it('counts the stream as long-lived, ends it after the grace period, then reports DRAINED', { timeout: 30_000 }, async () => {
    const res = await request(`${gateway.url}/events`);
    assert.equal(res.statusCode, 200);
    const name = String(res.headers['x-backend']);
    let received = '';
    const ended = new Promise<void>((resolve) => {
      res.body.on('data', (c: Buffer) => (received += c.toString()));
      res.body.on('end', resolve);
      res.body.on('error', () => resolve());
    });
    await waitFor(() => received.includes('hello'), { what: 'the first event' });
    // The admin API is the master's: it learns a worker's counts with the worker's next report.
    await waitFor(async () => (await view(name)).longLived === 1, { what: 'the stream counted as long-lived' });
    const drain = await request(`${gateway.adminUrl}/api/backends/${encodeURIComponent(name)}/drain`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await drain.body.dump();
    assert.equal((await view(name)).cluster.drained, false, 'an open stream keeps the backend from DRAINED');
    await ended;
    assert.match(received, /tick/, 'the stream kept flowing during the grace period');
    await waitFor(async () => (await view(name)).cluster.drained, { what: 'DRAINED after the stream ended' });
  });
});
