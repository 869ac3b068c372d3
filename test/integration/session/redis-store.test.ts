import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StoreUnavailableError } from '../../../gateway/errors.js';
import { createRedisClient, duplicateRedisClient, waitUntilReady } from '../../../gateway/session/redis-connection.js';
import { RedisSessionStore } from '../../../gateway/session/redis-store.js';
import { EXPIRED_KEY_GRACE_MS } from '../../../gateway/session/redis-scripts.js';
import { createSessionStore } from '../../../gateway/session/store-factory.js';
import { attributeField, type SessionStore } from '../../../gateway/session/store.js';
import { freePort } from '../../helpers/ports.js';
import { TestRedis } from '../../helpers/redis-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { namespacedKeys } from './scan-keys.js';
import { runStoreConformance } from './store-conformance.js';

const PREFIX = 'sg:v1:';

const keysOf = (redis: TestRedis): Promise<string[]> => namespacedKeys(redis.client(), PREFIX);

describe('RedisSessionStore', () => {
  let redis: TestRedis;
  before(async () => {
    redis = await TestRedis.start();
  });
  after(async () => {
    await redis.close();
  });

  runStoreConformance('redis', async () => {
    // Our own redis-server: flushing it between tests is safe (never the shared 6379).
    await redis.client().flushall();
    const store = await createSessionStore({ redisUrl: redis.url });
    return { store, storedKeys: () => keysOf(redis), close: () => store.close() };
  });

  it('loads in one round trip and sets the TTL to the session deadline', async () => {
    await redis.client().flushall();
    const store = await createSessionStore({ redisUrl: redis.url });
    const now = Date.now();
    const timeouts = { idleTimeoutMs: 60_000, absoluteTimeoutMs: 3_600_000 };
    const r = await store.commit({
      now, key: null, newKey: 'k1', newHandle: 'h1', maxBytes: 1024, backend: null, logout: false, ...timeouts,
      ops: { set: new Map([[attributeField('', 'a'), '1']]), unset: [], incr: new Map() },
      login: { principal: 'p1', maxPerPrincipal: 0, onLimit: 'evict-oldest' },
    });
    assert.ok(r.ok);
    for (const key of [`${PREFIX}s:k1`, `${PREFIX}h:h1`, `${PREFIX}p:p1`]) {
      const ttl = await redis.client().pttl(key);
      // The keys outlive the deadline by a grace period so the sweep still finds (and counts) the session.
      assert.ok(ttl > EXPIRED_KEY_GRACE_MS && ttl <= 60_000 + EXPIRED_KEY_GRACE_MS, `${key} ttl ${ttl}`);
    }
    // MONITOR shows what each client sends; commands a script runs come from source 'lua'.
    const monitor = await redis.client().monitor();
    const sent: string[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua') sent.push(String(args[0]).toLowerCase());
    });
    const loaded = await store.load('k1', { now: now + 1, touchAfterMs: 0, ...timeouts });
    assert.ok(loaded.found);
    await store.ping();
    await waitFor(() => sent.includes('ping'), { what: 'the ping to show up in MONITOR' });
    monitor.disconnect();
    assert.equal(sent.length, 2, `one command for the load, one ping: ${sent.join(' ')}`);
    assert.match(sent[0]!, /^eval(sha)?$/);
    await store.close();
  });

  it('lets one gateway sweep per lock period: another owner is refused until the lock lapses', async () => {
    await redis.client().flushall();
    const store = await createSessionStore({ redisUrl: redis.url });
    const now = Date.now();
    const first = await store.sweepExpired(now, { owner: 'gw-a', lockMs: 60_000, batch: 10 });
    assert.deepEqual(first, { swept: true, expired: [], more: false });
    assert.deepEqual(await store.sweepExpired(now, { owner: 'gw-b', lockMs: 60_000, batch: 10 }), { swept: false });
    assert.equal((await store.sweepExpired(now, { owner: 'gw-a', lockMs: 60_000, batch: 10 })).swept, true, 'the holder renews it');
    await redis.client().del(`${PREFIX}l:sweep`); // what the PX expiry does after lockMs
    assert.equal((await store.sweepExpired(now, { owner: 'gw-b', lockMs: 60_000, batch: 10 })).swept, true);
    await store.close();
  });

  it('fails fast with StoreUnavailableError while Redis restarts, and works again after', async () => {
    await redis.client().flushall();
    const store = await createSessionStore({ redisUrl: redis.url });
    const timeouts = { idleTimeoutMs: 60_000, absoluteTimeoutMs: 3_600_000 };
    const load = () => store.load('k', { now: Date.now(), touchAfterMs: 0, ...timeouts });
    assert.deepEqual(await load(), { found: false, expired: null });
    await redis.stop();
    await waitFor(async () => {
      try {
        await load();
        return false;
      } catch (err) {
        assert.ok(err instanceof StoreUnavailableError, `not a StoreUnavailableError: ${String(err)}`);
        return true;
      }
    }, { what: 'a load to fail while Redis is down' });
    await assert.rejects(store.ping(), StoreUnavailableError);
    await assert.rejects(store.commit({
      now: Date.now(), key: null, newKey: 'k', newHandle: 'h', maxBytes: 1024, backend: null, logout: false, login: null, ...timeouts,
      ops: { set: new Map([[attributeField('', 'a'), '1']]), unset: [], incr: new Map() },
    }), StoreUnavailableError);
    await assert.rejects(store.listByPrincipal('p', Date.now()), StoreUnavailableError);
    await assert.rejects(store.destroyByHandle('h'), StoreUnavailableError);
    await redis.restart();
    // The scripts are gone from the restarted server: ioredis reloads them on NOSCRIPT.
    await waitFor(async () => (await load()).found === false, { what: 'the store to work again after the restart' });
    await store.close();
  });

  it('refuses to start within a bounded time when Redis is not there', async () => {
    const port = await freePort();
    await assert.rejects(createSessionStore({ redisUrl: `redis://127.0.0.1:${port}`, readyTimeoutMs: 300 }), (err: unknown) => {
      assert.ok(err instanceof StoreUnavailableError);
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      return true;
    });
  });

  it('gives other modules a second connection to the same Redis', async () => {
    const client = createRedisClient(redis.url);
    await waitUntilReady(client, 5_000);
    const store: SessionStore = new RedisSessionStore(client);
    const second = duplicateRedisClient(client, { connectionName: 'test-second' });
    await waitUntilReady(second, 5_000);
    await second.set('sg:v1:test', '1');
    assert.equal(await client.get('sg:v1:test'), '1');
    await second.del('sg:v1:test');
    second.disconnect();
    await store.close();
  });
});
