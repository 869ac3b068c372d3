import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bucketOfKey } from '../../../gateway/session/key-placement.js';
import { bucketPrefix } from '../../../gateway/session/redis-keys.js';
import { createSessionStore } from '../../../gateway/session/store-factory.js';
import { attributeField } from '../../../gateway/session/store.js';
import { TestRedis } from '../../helpers/redis-server.js';
import { TestSentinel } from './redis-topologies.js';
import { namespacedKeys } from './scan-keys.js';
import { runStoreConformance } from './store-conformance.js';

describe('RedisSessionStore through a real Sentinel (redis-sentinel://)', () => {
  let master: TestRedis;
  let sentinel: TestSentinel;
  before(async () => {
    master = await TestRedis.start();
    sentinel = await TestSentinel.start(master.port);
  });
  after(async () => {
    await sentinel?.close();
    await master?.close();
  });

  runStoreConformance('redis via sentinel', async () => {
    await master.client().flushall();
    const store = await createSessionStore({ redisUrl: sentinel.url });
    return { store, storedKeys: () => namespacedKeys(master.client()), close: () => store.close() };
  });

  it('writes to the master the sentinel names', async () => {
    await master.client().flushall();
    const store = await createSessionStore({ redisUrl: sentinel.url });
    const now = Date.now();
    const r = await store.commit({
      now, key: null, newKey: 'k', newHandle: 'h', token: 't', maxBytes: 1024, backend: null, logout: false, login: null,
      idleTimeoutMs: 60_000, absoluteTimeoutMs: 3_600_000,
      ops: { set: new Map([[attributeField('', 'a'), '1']]), unset: [], incr: new Map() },
    });
    assert.ok(r.ok);
    assert.equal(await master.client().hget(`${bucketPrefix(bucketOfKey('k'))}s:k`, attributeField('', 'a')), '1');
    await store.close();
  });
});
