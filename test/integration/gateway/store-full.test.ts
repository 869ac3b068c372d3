import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { Browser } from '../../helpers/browser.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';

interface WhoAmI { principal: string | null; counter: number }

/**
 * Issue 8 item 4: a flood of anonymous session creations cannot exhaust the embedded store's process. With a small
 * SESSION_MEMORY_MAX new sessions get 503 SG_STORE_FULL and a log line, while sessions that exist keep working.
 */
describe('the embedded store at its memory bound', () => {
  let backend: DemoBackend;
  let gateway: GatewayUnderTest;
  let smallHeap: GatewayUnderTest;

  before(async () => {
    backend = await startDemoBackend();
    [gateway, smallHeap] = await Promise.all([
      startGateway({ backends: [backend.name], env: { SESSION_MEMORY_MAX: '64k' } }),
      startGateway({ backends: [backend.name], env: { NODE_OPTIONS: '--max-old-space-size=64' } }),
    ]);
  });

  after(async () => {
    await Promise.all([gateway?.process.stop(), smallHeap?.process.stop()]);
    await backend?.process.stop();
  });

  it('answers new sessions 503 SG_STORE_FULL with a log line; the logged-in user keeps working', async () => {
    const user = new Browser(gateway.url);
    assert.equal((await user.fetch('/api/login', { json: { user: 'ines' } })).status, 200);
    let refused = null;
    let created = 0;
    for (let i = 0; i < 2_000 && refused === null; i++) {
      const res = await new Browser(gateway.url).fetch('/api/counter', { method: 'POST' });
      if (res.status === 200) created++;
      else refused = res;
    }
    assert.ok(refused, 'the flood is refused before 2,000 sessions');
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['x-gateway-error'], 'SG_STORE_FULL');
    assert.equal(refused.headers['set-cookie'], undefined, 'no cookie for a session that was not created');
    assert.ok(created > 10 && created < 200, `${created} anonymous sessions fit in 64 KiB`);
    await gateway.process.waitForRecord((r) => r.event === 'session.write_back_refused' && r.code === 'SG_STORE_FULL', 'a log line for the refusal');
    // Still refused, and the existing session still reads and writes.
    assert.equal((await new Browser(gateway.url).fetch('/api/counter', { method: 'POST' })).status, 503);
    assert.equal((await user.fetch('/api/counter', { method: 'POST' })).status, 200);
    const who = (await user.fetch('/api/whoami')).json<WhoAmI>();
    assert.deepEqual([who.principal, who.counter], ['ines', 1]);
    assert.equal((await user.fetch('/api/logout', { method: 'POST' })).status, 200);
    // The logout gave room back: one new session fits again.
    assert.equal((await new Browser(gateway.url).fetch('/api/counter', { method: 'POST' })).status, 200);
  });

  it('derives the default bound from the heap limit the process runs with (--max-old-space-size)', async () => {
    const ready = await smallHeap.process.waitForRecord((r) => r.event === 'store.ready', 'the store line');
    const memoryMax = Number(ready.memoryMax);
    assert.ok(memoryMax > 16 * 1048576 && memoryMax < 64 * 1048576, `half of a ~64 MiB heap, got ${memoryMax}`);
  });
});
