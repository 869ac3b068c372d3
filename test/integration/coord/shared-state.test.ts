import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { TestRedis } from '../../helpers/redis-server.js';
import { waitFor } from '../../helpers/wait-for.js';

interface Status {
  gateways: unknown[];
  backends: Array<{ name: string; state: string }>;
}

describe('admin state shared through Redis', () => {
  let redis: TestRedis;
  let backends: DemoBackend[];
  const gateways: GatewayUnderTest[] = [];

  before(async () => {
    redis = await TestRedis.start();
    backends = await Promise.all([startDemoBackend(), startDemoBackend()]);
    gateways.push(await startGateway({ backends: backends.map((b) => b.name), redisUrl: redis.url }));
  });

  after(async () => {
    await Promise.all(gateways.map((g) => g.process.stop()));
    await Promise.all((backends ?? []).map((b) => b.process.stop()));
    await redis?.close();
  });

  const status = async (g: GatewayUnderTest) => (await (await request(`${g.adminUrl}/api/backends`)).body.json()) as Status;

  it('a gateway started after a drain loads the state before it listens, and never routes to the drained backend', async () => {
    const [drained, other] = backends;
    const res = await request(`${gateways[0]!.adminUrl}/api/backends/${encodeURIComponent(drained!.name)}/drain`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await res.body.dump();
    assert.equal(res.statusCode, 200);
    const late = await startGateway({ backends: backends.map((b) => b.name), redisUrl: redis.url });
    gateways.push(late);
    for (let i = 0; i < 10; i++) {
      const r = await request(`${late.url}/api/whoami`);
      await r.body.dump();
      assert.equal(r.headers['x-backend'], other!.name);
    }
    assert.equal((await status(late)).backends.find((b) => b.name === drained!.name)?.state, 'DRAINING');
    await waitFor(async () => (await status(gateways[0]!)).gateways.length === 2, { what: 'both gateways heartbeating' });
    const ready = await request(`${late.adminUrl}/api/backends/${encodeURIComponent(drained!.name)}/ready`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await ready.body.dump();
    await waitFor(async () => (await status(gateways[0]!)).backends.every((b) => b.state === 'READY'), { what: 'READY on the first gateway' });
  });

  it('a stopped gateway drops out of the live set', async () => {
    await gateways.pop()!.process.stop();
    await waitFor(async () => (await status(gateways[0]!)).gateways.length === 1, { what: 'the stopped gateway to drop out' });
  });
});
