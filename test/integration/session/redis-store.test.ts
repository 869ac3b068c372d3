import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { StoreUnavailableError } from '../../../gateway/errors.js';
import { bucketOfKey, bucketOfPrincipal, mintIdInBucket } from '../../../gateway/session/key-placement.js';
import type { SessionCommands } from '../../../gateway/session/redis-commands.js';
import { createRedisClient, duplicateRedisClient, waitUntilReady } from '../../../gateway/session/redis-connection.js';
import { bucketPrefix } from '../../../gateway/session/redis-keys.js';
import { EXPIRED_KEY_GRACE_MS, INDEX_MARGIN_MS } from '../../../gateway/session/redis-lua-prelude.js';
import { MOVE_STALE_MS } from '../../../gateway/session/redis-login-move.js';
import { RedisSessionStore } from '../../../gateway/session/redis-store.js';
import { createSessionStore } from '../../../gateway/session/store-factory.js';
import type { SessionStore } from '../../../gateway/session/store.js';
import { freePort } from '../../helpers/ports.js';
import { TestRedis } from '../../helpers/redis-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { namespacedKeys } from './scan-keys.js';
import { runStoreConformance } from './store-conformance.js';
import { f, id, ok, ops, request, TIMEOUTS } from './store-fixtures.js';

const loadOptions = (now: number) => ({ now, touchAfterMs: 0, ...TIMEOUTS });

/** A key in the given bucket (a storage key is any base64url string to the store). */
const keyIn = (bucket: number): string => mintIdInBucket(bucket, (x) => x).key;

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
    return { store, storedKeys: () => namespacedKeys(redis.client()), close: () => store.close() };
  });

  runStoreConformance('redis, encrypted at rest (SESSION_STORE_KEY)', async () => {
    await redis.client().flushall();
    const store = await createSessionStore({ redisUrl: redis.url, storeKeys: [randomBytes(32)] });
    return { store, storedKeys: () => namespacedKeys(redis.client()), close: () => store.close() };
  });

  describe('on one Redis', () => {
    let store: SessionStore;
    beforeEach(async () => {
      await redis.client().flushall();
      store = await createSessionStore({ redisUrl: redis.url });
    });
    const close = () => store.close();

    it('keeps a session, its handle and its principal index in the principal\'s bucket, with TTLs at the deadline', async () => {
      const now = Date.now();
      const principal = 'p1';
      const bucket = (store as RedisSessionStore).placementOf(principal);
      assert.equal(bucket, bucketOfPrincipal(principal));
      const key = keyIn(bucket);
      const timeouts = { idleTimeoutMs: 60_000, absoluteTimeoutMs: 3_600_000 };
      ok(await store.commit(request(now, { newKey: key, ...timeouts, ops: ops({ set: { a: 1 } }), login: { principal, maxPerPrincipal: 0, onLimit: 'evict-oldest' } })));
      const b = bucketPrefix(bucket);
      // The keys outlive the deadline by a grace period so the sweep still finds (and counts) the session; the principal
      // index by a margin more, so that the session's next commits need not extend it.
      for (const [name, margin] of [[`${b}s:${key}`, 0], [`${b}p:${principal}`, INDEX_MARGIN_MS]] as const) {
        const ttl = await redis.client().pttl(name);
        assert.ok(ttl > EXPIRED_KEY_GRACE_MS + margin && ttl <= 60_000 + EXPIRED_KEY_GRACE_MS + margin, `${name} ttl ${ttl}`);
      }
      assert.ok(await redis.client().hget(`${b}k`, (await store.listByPrincipal(principal, now))[0]!.handle));
      await close();
    });

    it('keeps a principal index alive past each of its sessions, reading its TTL only once the noted margin runs out', async () => {
      const t = Date.now();
      const principal = 'p-margin';
      const bucket = (store as RedisSessionStore).placementOf(principal);
      const timeouts = { idleTimeoutMs: 60_000, absoluteTimeoutMs: 3_600_000 };
      const login = { principal, maxPerPrincipal: 0, onLimit: 'evict-oldest' as const };
      const r = ok(await store.commit(request(t, { newKey: keyIn(bucket), ...timeouts, ops: ops({ set: { n: 0 } }), login })));
      const b = bucketPrefix(bucket);
      const pttlCalls = async () => Number(/cmdstat_pttl:calls=(\d+)/.exec(await redis.client().info('commandstats'))?.[1] ?? 0);
      for (const [at, reads] of [[t + 1_000, 0], [t + 30_000, 0], [t + INDEX_MARGIN_MS + 1_000, 1], [t + INDEX_MARGIN_MS + 2_000, 0]] as const) {
        const before = await pttlCalls();
        ok(await store.commit(request(at, { key: r.key, ...timeouts, ops: ops({ incr: { n: 1 } }) })));
        assert.equal(await pttlCalls() - before, reads, `a commit at +${at - t} ms reads the index's TTL ${reads} time(s)`);
        const [session, index] = [await redis.client().pttl(`${b}s:${r.key}`), await redis.client().pttl(`${b}p:${principal}`)];
        assert.ok(index >= session && session > 0, `index ttl ${index} ≥ session ttl ${session}`);
      }
      assert.equal((await store.listByPrincipal(principal, t + INDEX_MARGIN_MS + 2_000)).length, 1);
      await close();
    });

    /** What the store sends for `action`, from MONITOR (commands a script runs come from source 'lua' and are left out). */
    async function sentBy(action: () => Promise<unknown>): Promise<string[]> {
      const monitor = await redis.client().monitor();
      const sent: string[] = [];
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (source !== 'lua') sent.push(String(args[0]).toLowerCase());
      });
      await action();
      await store.ping();
      await waitFor(() => sent.includes('ping'), { what: 'the ping to show up in MONITOR' });
      monitor.disconnect();
      return sent.slice(0, sent.lastIndexOf('ping'));
    }

    it('reads a live session with one HGETALL, and runs the load script only when a touch or an expiry is due', async () => {
      const t = Date.now();
      const r = ok(await store.commit(request(t, { ops: ops({ set: { a: 1 } }) })));
      const read = { ...TIMEOUTS, touchAfterMs: 60_000 };
      let loaded: Awaited<ReturnType<SessionStore['load']>> | undefined;
      assert.deepEqual(await sentBy(async () => (loaded = await store.load(r.key, { ...read, now: t + 1_000 }))), ['hgetall']);
      assert.ok(loaded?.found);
      assert.equal(loaded.session.fields.get(f('a')), '1');
      assert.equal(loaded.session.lastAccessAt, t, 'a read without a touch leaves last access alone');

      const touch = await sentBy(async () => (loaded = await store.load(r.key, { ...read, now: t + 61_000 })));
      assert.equal(touch[0], 'hgetall');
      assert.match(touch[1] ?? '', /^eval(sha)?$/, `a due touch runs the script: ${touch.join(' ')}`);
      assert.ok(loaded?.found);
      assert.equal(loaded.session.lastAccessAt, t + 61_000);

      const late = t + 61_000 + TIMEOUTS.idleTimeoutMs;
      const expired = await sentBy(async () => (loaded = await store.load(r.key, { ...read, now: late })));
      assert.match(expired[1] ?? '', /^eval(sha)?$/, 'an expiry is decided (and counted) by the script');
      assert.deepEqual(loaded, { found: false, expired: 'idle' });
      assert.equal((await store.stats(late)).counters.expiredIdle, 1);
      await close();
    });

    it('applies a resent commit once and answers it with the first result (idempotency token)', async () => {
      const now = Date.now();
      const s = ok(await store.commit(request(now, { ops: ops({ set: { n: 0 } }) })));
      const incr = request(now + 1, { key: s.key, ops: ops({ incr: { n: 1 } }) });
      const first = await store.commit(incr);
      const again = await store.commit(incr);
      assert.deepEqual(again, first);
      const fresh = request(now + 2, { ops: ops({ set: { x: 1 } }) });
      const created = ok(await store.commit(fresh));
      assert.deepEqual(ok(await store.commit(fresh)), created, 'a resent creation creates nothing more');
      const loaded = await store.load(s.key, loadOptions(now + 3));
      assert.ok(loaded.found);
      assert.equal(loaded.session.fields.get(f('n')), '1');
      assert.equal((await store.stats(now + 3)).counters.created, 2);
      await close();
    });

    it('a fenced token is never applied: the fence wins over a late copy, and reports a commit that ran', async () => {
      const now = Date.now();
      const s = ok(await store.commit(request(now, { ops: ops({ set: { n: 0 } }) })));
      const commands = (store as RedisSessionStore).client as unknown as SessionCommands;
      const bucket = bucketPrefix(bucketOfKey(s.key));
      const late = request(now + 1, { key: s.key, ops: ops({ incr: { n: 1 } }) });
      assert.deepEqual(await commands.sgResolve(`${bucket}i:${late.token}`), ['aborted']);
      await assert.rejects(store.commit(late), (err: unknown) => err instanceof StoreUnavailableError && /not applied/.test(err.message));
      const ran = request(now + 2, { key: s.key, ops: ops({ incr: { n: 5 } }) });
      const result = ok(await store.commit(ran));
      assert.deepEqual((await commands.sgResolve(`${bucket}i:${ran.token}`))[0], 'ok');
      assert.equal(result.key, s.key);
      const loaded = await store.load(s.key, loadOptions(now + 3));
      assert.ok(loaded.found);
      assert.equal(loaded.session.fields.get(f('n')), '5');
      await close();
    });

    for (const landed of [false, true]) {
      it(`completes the move of a login whose gateway died ${landed ? 'after it landed' : 'with the session frozen'}`, async () => {
        const now = Date.now();
        const principal = `mover-${landed}`;
        const s = ok(await store.commit(request(now, { newKey: keyIn((bucketOfPrincipal(principal) + 1) % 256), ops: ops({ set: { n: 1 } }) })));
        const commands = (store as RedisSessionStore).client as unknown as SessionCommands;
        const from = bucketOfKey(s.key);
        const newKey = keyIn(bucketOfPrincipal(principal));
        const to = bucketOfKey(newKey);
        const token = id();
        // What a gateway does before it dies: BEGIN, and maybe LAND, never FINISH.
        const frozen = await commands.sgMoveBegin(`${bucketPrefix(from)}s:${s.key}`, bucketPrefix(from), String(now), String(TIMEOUTS.idleTimeoutMs),
          String(TIMEOUTS.absoluteTimeoutMs), s.key, newKey, `${token}.b`, `${newKey} ${token} ${now} 5000`);
        assert.equal(frozen[0], 'frozen');
        if (landed) {
          const land = await commands.sgMoveLand(`${bucketPrefix(to)}s:${newKey}`, bucketPrefix(to), String(now), String(TIMEOUTS.idleTimeoutMs),
            String(TIMEOUTS.absoluteTimeoutMs), newKey, `${token}.l`, '', principal, principal, '0', 'evict-oldest', String(now), s.handle, '', '3', '1', f('n'), '1');
          assert.equal(land[0], 'ok');
        }
        // A later request: finds the frozen session, waits out the mover, then completes or undoes the move.
        const later = now + MOVE_STALE_MS + 1;
        const saved = ok(await store.commit(request(later, { key: s.key, ops: ops({ incr: { n: 1 } }) })));
        assert.equal(saved.key, landed ? newKey : s.key);
        assert.equal(saved.principal, landed ? principal : null);
        const loaded = await store.load(saved.key, loadOptions(later + 1));
        assert.ok(loaded.found);
        assert.equal(loaded.session.fields.get(f('n')), '2');
        assert.equal((await store.listByPrincipal(principal, later + 1)).length, landed ? 1 : 0);
        await close();
      });
    }

    it('sweeps with one script for every bucket\'s earliest deadline, then a sweep script only in the buckets with work due', async () => {
      const t = Date.now();
      const sweep = { owner: 'gw-a', lockMs: 60_000, batch: 10 };
      const scripts = (sent: string[]) => sent.filter((c) => /^eval(sha)?$/.test(c)).length;
      const keys = [keyIn(3), keyIn(3), keyIn(200)];
      for (const key of keys) ok(await store.commit(request(t, { newKey: key, ops: ops({ set: { a: 1 } }) })));
      let result: Awaited<ReturnType<SessionStore['sweepExpired']>> | undefined;
      const idle = await sentBy(async () => (result = await store.sweepExpired(t + 1_000, sweep)));
      assert.deepEqual(result, { swept: true, expired: [], more: false });
      assert.equal(scripts(idle), 2, `nothing due: the lock and one check of all 256 buckets (${idle.join(' ')})`);

      const late = t + TIMEOUTS.idleTimeoutMs;
      const due = await sentBy(async () => (result = await store.sweepExpired(late, sweep)));
      assert.equal(scripts(due), 4, `the lock, the check, and a sweep of buckets 3 and 200 only (${due.join(' ')})`);
      assert.ok(result?.swept);
      assert.equal(result.expired.length, 3);
      for (const key of keys) assert.deepEqual(await store.load(key, loadOptions(late)), { found: false, expired: null }, 'ended and gone');
      const stats = await store.stats(late);
      assert.equal(stats.counters.expiredIdle, 3);
      assert.equal(stats.active + stats.pendingExpiry, 0);
      await close();
    });

    it('lets one gateway sweep per lock period: another owner is refused until the lock lapses', async () => {
      const now = Date.now();
      const first = await store.sweepExpired(now, { owner: 'gw-a', lockMs: 60_000, batch: 10 });
      assert.deepEqual(first, { swept: true, expired: [], more: false });
      assert.deepEqual(await store.sweepExpired(now, { owner: 'gw-b', lockMs: 60_000, batch: 10 }), { swept: false });
      assert.equal((await store.sweepExpired(now, { owner: 'gw-a', lockMs: 60_000, batch: 10 })).swept, true, 'the holder renews it');
      await redis.client().del('sg:v2:{sg}:l:sweep'); // what the PX expiry does after lockMs
      assert.equal((await store.sweepExpired(now, { owner: 'gw-b', lockMs: 60_000, batch: 10 })).swept, true);
      await close();
    });
  });

  it('fails fast with StoreUnavailableError while Redis restarts, and works again after', async () => {
    await redis.client().flushall();
    const store = await createSessionStore({ redisUrl: redis.url });
    const load = () => store.load(id(), loadOptions(Date.now()));
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
    await assert.rejects(store.commit(request(Date.now(), { ops: ops({ set: { a: 1 } }) })), StoreUnavailableError);
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
    await second.set('sg:v2:test', '1');
    assert.equal(await client.get('sg:v2:test'), '1');
    await second.del('sg:v2:test');
    second.disconnect();
    await store.close();
  });
});
