import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisCoordStore } from '../../../gateway/coord/redis-coord.js';
import { TestRedis } from '../../helpers/redis-server.js';
import { waitFor } from '../../helpers/wait-for.js';

describe('RedisCoordStore (shared admin state, heartbeats, rollout lock)', () => {
  let redis: TestRedis;
  let a: RedisCoordStore;
  let b: RedisCoordStore;

  before(async () => {
    redis = await TestRedis.start();
    a = await RedisCoordStore.connect(redis.url);
    b = await RedisCoordStore.connect(redis.url);
  });

  after(async () => {
    await a?.close();
    await b?.close();
    await redis?.close();
  });

  it('a state change made through one connection is read by the other, with a higher epoch, and hinted', async () => {
    let hinted = 0;
    b.onChange(() => hinted++);
    const first = await a.setState('127.0.0.1:1', 'DRAINING', 'test');
    const second = await a.setState('127.0.0.1:1', 'MAINT', 'test');
    assert.ok(second.epoch > first.epoch);
    const seen = await b.load();
    assert.equal(seen.epoch, second.epoch);
    assert.deepEqual(seen.backends['127.0.0.1:1'], second);
    await waitFor(() => hinted >= 2, { what: 'pub/sub hints' });
  });

  it('heartbeats of every gateway are listed until their TTL passes', async () => {
    await a.publishHeartbeat({ gatewayId: 'ga', epoch: 1, at: 0, backends: {} }, 60_000);
    await b.publishHeartbeat({ gatewayId: 'gb', epoch: 1, at: 0, backends: {} }, 200);
    assert.deepEqual((await a.heartbeats()).map((h) => h.gatewayId).sort(), ['ga', 'gb']);
    await waitFor(async () => (await a.heartbeats()).length === 1, { what: 'gb to drop out' });
    await a.removeHeartbeat('ga');
    assert.equal((await b.heartbeats()).length, 0);
  });

  it('the rollout lock is exclusive across connections and released only by its owner', async () => {
    assert.deepEqual(await a.acquireLock('owner-a', 10_000), { acquired: true });
    assert.deepEqual(await b.acquireLock('owner-b', 10_000), { acquired: false, holder: 'owner-a' });
    assert.equal(await b.releaseLock('owner-b'), false);
    assert.equal(await b.renewLock('owner-a', 10_000), true, 'the owner token, not the connection, holds the lock');
    assert.equal(await a.releaseLock('owner-a'), true);
    assert.deepEqual(await b.acquireLock('owner-b', 200), { acquired: true });
    await waitFor(async () => (await a.lockHolder()) === null, { what: 'the lock TTL' });
  });
});
