import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { RedisSessionStore } from '../../../gateway/session/redis-store.js';
import { createSessionStore } from '../../../gateway/session/store-factory.js';
import { TestCluster } from './redis-topologies.js';
import { namespacedKeys } from './scan-keys.js';
import { runStoreConformance } from './store-conformance.js';

describe('RedisSessionStore on a real Redis Cluster (redis-cluster://)', () => {
  let cluster: TestCluster;
  let admin: Redis;
  before(async () => {
    cluster = await TestCluster.start();
    admin = cluster.client();
  });
  after(async () => {
    admin?.disconnect();
    await cluster?.close();
  });

  runStoreConformance('redis cluster', async () => {
    await admin.flushall();
    const store = await createSessionStore({ redisUrl: cluster.url });
    // The hash tag keeps every key of every script in one slot.
    return { store, storedKeys: () => namespacedKeys(admin, '{sg}:v1:'), close: () => store.close() };
  });

  it('uses the {sg} hash-tag prefix on a Cluster', async () => {
    const store = await createSessionStore({ redisUrl: cluster.url });
    assert.ok(store instanceof RedisSessionStore);
    assert.equal(store.keyPrefix, '{sg}:v1:');
    await store.close();
  });
});
