import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { createSessionStore } from '../../../gateway/session/store-factory.js';
import type { SessionStore } from '../../../gateway/session/store.js';
import { TestCluster } from '../../helpers/redis-cluster.js';
import { allKeys, namespacedKeys } from './scan-keys.js';
import { runStoreConformance } from './store-conformance.js';
import { ok, ops, request, TIMEOUTS, usePlacementOf } from './store-fixtures.js';

/**
 * The store on a real 3-master + 3-replica Redis Cluster: the whole conformance suite (with expiry sweep, force
 * logout, duplicate-login policies and stats), and the spread of 10,000 sessions over the masters.
 */

const SESSIONS = 10_000;
const PRINCIPALS = 1_000;
const BATCH = 500;

/** Share of the keys (and of the session hashes) each master holds. */
async function spread(masters: Redis[]): Promise<Array<{ keys: number; sessions: number; principals: number }>> {
  return Promise.all(masters.map(async (m) => {
    const keys = await allKeys(m);
    return {
      keys: keys.length,
      sessions: keys.filter((k) => /^sg:v2:\{[^}]*\}:s:/.test(k)).length,
      principals: keys.filter((k) => /^sg:v2:\{[^}]*\}:p:/.test(k)).length,
    };
  }));
}

describe('RedisSessionStore on a real 3-master + 3-replica Redis Cluster (redis-cluster://)', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start({ masters: 3, replicasPerMaster: 1 });
  });
  after(async () => {
    await cluster?.close();
  });

  runStoreConformance('redis cluster (3 masters, 3 replicas)', async () => {
    await cluster.flush();
    const store = await createSessionStore({ redisUrl: cluster.url });
    const masters = await cluster.masters();
    return { store, storedKeys: () => namespacedKeys(...masters), close: () => store.close() };
  });

  it(`spreads ${SESSIONS.toLocaleString('en')} sessions over the masters: none holds more than 40 % of the keys`, async (t) => {
    await cluster.flush();
    const store: SessionStore = await createSessionStore({ redisUrl: cluster.url });
    usePlacementOf(store);
    const now = Date.now();
    try {
      // Half anonymous (a random bucket each), half logged in as one of PRINCIPALS users (minted into the user's bucket).
      for (let start = 0; start < SESSIONS; start += BATCH) {
        await Promise.all(Array.from({ length: BATCH }, (_, j) => {
          const i = start + j;
          const login = i % 2 === 1 ? { principal: `user-${((i - 1) / 2) % PRINCIPALS}`, maxPerPrincipal: 0, onLimit: 'evict-oldest' as const } : null;
          return store.commit(request(now, { ops: ops({ set: { i } }), login })).then(ok);
        }));
      }
      const masters = await cluster.masters();
      assert.equal(masters.length, 3);
      const counts = await spread(masters);
      const total = (key: 'keys' | 'sessions' | 'principals') => counts.reduce((s, c) => s + c[key], 0);
      assert.equal(total('sessions'), SESSIONS);
      assert.equal(total('principals'), PRINCIPALS);
      t.diagnostic(`per master: ${JSON.stringify(counts)}`);
      for (const [i, c] of counts.entries()) {
        const detail = `master ${i}: ${JSON.stringify(c)} of ${JSON.stringify({ keys: total('keys'), sessions: total('sessions') })}`;
        assert.ok(c.keys <= 0.4 * total('keys'), detail);
        assert.ok(c.sessions <= 0.4 * SESSIONS, detail);
        assert.ok(c.principals <= 0.4 * PRINCIPALS, detail);
      }

      // Every bucket answers through the Cluster: the stats count them all, the listing finds a user's sessions.
      const stats = await store.stats(now + 1);
      assert.equal(stats.active, SESSIONS);
      assert.equal(stats.counters.created, SESSIONS);
      assert.equal(stats.counters.logins, SESSIONS / 2);
      assert.equal((await store.listByPrincipal('user-1', now + 1)).length, SESSIONS / 2 / PRINCIPALS);
      const swept = await store.sweepExpired(now + TIMEOUTS.idleTimeoutMs, { owner: 'spread', lockMs: 1_000, batch: SESSIONS });
      assert.ok(swept.swept);
      assert.equal(swept.expired.length, SESSIONS, 'the sweep ends every session, bucket by bucket, on every master');
      assert.equal((await store.stats(now + TIMEOUTS.idleTimeoutMs)).counters.expiredIdle, SESSIONS);
    } finally {
      await store.close();
    }
  });
});
