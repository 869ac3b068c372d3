import { after, before, describe } from 'node:test';
import type { Redis } from 'ioredis';
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
    return { store, storedKeys: () => namespacedKeys(admin), close: () => store.close() };
  });

});
