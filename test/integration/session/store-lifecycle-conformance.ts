import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { attributeField, type CommitRequest, type SessionCounters, type SessionStore } from '../../../gateway/session/store.js';
import { MIN, ok, ops, request, sessionStateKeys, TIMEOUTS, usePlacementOf, type StoreUnderTest } from './store-fixtures.js';

/**
 * Part two of the store conformance suite (run by runStoreConformance on every store): expiry without keyspace
 * notifications (the sweep), force logout by principal, and the event counters. Time is the `now` argument only.
 */

const SWEEP = { owner: 'conformance', lockMs: 1_000, batch: 100 };

/** A new session holding `seed: 1`, changed by `partial`. */
const seeded = (now: number, partial: Partial<CommitRequest> = {}): CommitRequest => request(now, { ops: ops({ set: { seed: 1 } }), ...partial });

/** Counter changes between two readings, only the ones that moved. */
function moved(before: SessionCounters, after: SessionCounters): Partial<SessionCounters> {
  const out: Partial<SessionCounters> = {};
  for (const k of Object.keys(after) as Array<keyof SessionCounters>) if (after[k] !== before[k]) out[k] = after[k] - before[k];
  return out;
}

export function runLifecycleConformance(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`SessionStore conformance (expiry, force logout, counters): ${name}`, () => {
    let t: StoreUnderTest;
    let store: SessionStore;
    let t0: number;

    beforeEach(async () => {
      t = await makeStore();
      store = t.store;
      usePlacementOf(store);
      t0 = Date.now();
    });
    afterEach(async () => {
      await t.close();
    });

    const sessionKeys = (): Promise<string[]> => sessionStateKeys(t);
    const counters = async (now = t0): Promise<SessionCounters> => (await store.stats(now)).counters;

    async function loggedIn(now: number, principal: string, partial: Partial<CommitRequest> = {}) {
      return ok(await store.commit(seeded(now, { login: { principal, maxPerPrincipal: 0, onLimit: 'evict-oldest' }, ...partial })));
    }

    it('sweeps an idle-expired session: counted once as idle, no index entry left', async () => {
      const before = await counters();
      const s = await loggedIn(t0, 'ursula');
      const keep = await loggedIn(t0, 'victor');
      assert.ok((await store.load(keep.key, { now: t0 + 20 * MIN, touchAfterMs: 0, ...TIMEOUTS })).found);
      const early = await store.sweepExpired(t0 + 29 * MIN, SWEEP);
      assert.ok(early.swept);
      assert.deepEqual(early.expired, []);
      const swept = await store.sweepExpired(t0 + 31 * MIN, SWEEP);
      assert.ok(swept.swept);
      assert.deepEqual(swept.expired, [{ handle: s.handle, principal: 'ursula', reason: 'idle' }]);
      assert.deepEqual(await store.listByPrincipal('ursula', t0 + 31 * MIN), []);
      assert.ok(!(await sessionKeys()).some((k) => k.includes(s.handle) || k === 'p:ursula' || k === `s:${s.key}`));
      // A later load of the swept cookie finds nothing and does not count it again.
      assert.deepEqual(await store.load(s.key, { now: t0 + 32 * MIN, touchAfterMs: 0, ...TIMEOUTS }), { found: false, expired: null });
      assert.deepEqual(moved(before, await counters()), { created: 2, logins: 2, expiredIdle: 1 });
      assert.equal(await store.destroyByHandle(keep.handle), true);
      assert.deepEqual(await sessionKeys(), []);
    });

    it('sweeps an absolute-expired session however recently it was used: counted once as absolute', async () => {
      const timeouts = { idleTimeoutMs: 30 * MIN, absoluteTimeoutMs: 60 * MIN };
      const before = await counters();
      const s = await loggedIn(t0, 'wendy', timeouts);
      for (let m = 20; m <= 50; m += 15) assert.ok((await store.load(s.key, { now: t0 + m * MIN, touchAfterMs: 0, ...timeouts })).found);
      const swept = await store.sweepExpired(t0 + 60 * MIN, SWEEP);
      assert.ok(swept.swept);
      assert.deepEqual(swept.expired, [{ handle: s.handle, principal: 'wendy', reason: 'absolute' }]);
      assert.deepEqual(moved(before, await counters()), { created: 1, logins: 1, expiredAbsolute: 1 });
      assert.deepEqual(await sessionKeys(), []);
    });

    it('counts an expiry once when a load and the sweep race for it', async () => {
      const before = await counters();
      const a = await loggedIn(t0, 'xena');
      const b = await loggedIn(t0, 'xena');
      const late = t0 + 31 * MIN;
      // a: the load ends it first, then the sweep finds nothing; b: both at once.
      assert.deepEqual(await store.load(a.key, { now: late, touchAfterMs: 0, ...TIMEOUTS }), { found: false, expired: 'idle' });
      const [sweep, load] = await Promise.all([store.sweepExpired(late, SWEEP), store.load(b.key, { now: late, touchAfterMs: 0, ...TIMEOUTS })]);
      assert.ok(sweep.swept);
      const byLoad = load.found === false && load.expired === 'idle' ? 1 : 0;
      assert.equal(sweep.expired.length + byLoad, 1, 'exactly one of them ended b');
      assert.deepEqual(moved(before, await counters()), { created: 2, logins: 2, duplicateLogins: 1, expiredIdle: 2 });
      assert.deepEqual(await sessionKeys(), []);
    });

    it('ends every session of a principal at once (force logout), and only theirs', async () => {
      const before = await counters();
      const a1 = await loggedIn(t0, 'yusuf');
      const a2 = await loggedIn(t0 + 1, 'yusuf');
      const other = await loggedIn(t0 + 2, 'zoe');
      const ended = await store.destroyByPrincipal('yusuf', t0 + 3);
      assert.deepEqual([...ended].sort(), [a1.handle, a2.handle].sort());
      for (const s of [a1, a2]) assert.equal((await store.load(s.key, { now: t0 + 4, touchAfterMs: 0, ...TIMEOUTS })).found, false);
      assert.deepEqual(await store.listByPrincipal('yusuf', t0 + 4), []);
      assert.deepEqual((await store.listByPrincipal('zoe', t0 + 4)).map((x) => x.handle), [other.handle]);
      assert.deepEqual(await store.destroyByPrincipal('nobody', t0 + 4), []);
      assert.equal(await store.destroyByHandle(other.handle), true);
      assert.deepEqual(moved(before, await counters()), { created: 3, logins: 3, duplicateLogins: 1, destroyedKill: 3 });
      assert.deepEqual(await sessionKeys(), []);
    });

    it('finds a live session by its handle without touching it: the principal a re-login gave it, none once it ended', async () => {
      const s = await loggedIn(t0, 'carla');
      const found = await store.findByHandle(s.handle, t0 + 5);
      assert.deepEqual(found && { ...found, size: found.size > 0 }, { handle: s.handle, principal: 'carla', createdAt: t0, lastAccessAt: t0, size: true, backend: null });
      // Logged in again from the same cookie as someone else: the same handle, now under the other principal.
      const again = ok(await store.commit(seeded(t0 + 6, { key: s.key, login: { principal: 'dimitri', maxPerPrincipal: 0, onLimit: 'evict-oldest' }, backend: 'app-2' })));
      assert.equal(again.handle, s.handle);
      const relogged = await store.findByHandle(s.handle, t0 + 7);
      assert.deepEqual([relogged?.principal, relogged?.backend, relogged?.createdAt], ['dimitri', 'app-2', t0]);
      assert.equal(await store.findByHandle(s.handle, t0 + 31 * MIN), null, 'past its idle deadline, before any sweep');
      assert.equal((await store.findByHandle(s.handle, t0 + 8))?.lastAccessAt, t0 + 6, 'a look-up is not an access');
      assert.equal(await store.destroyByHandle(s.handle), true);
      assert.equal(await store.findByHandle(s.handle, t0 + 9), null);
      assert.equal(await store.findByHandle('no-such-handle', t0 + 9), null);
    });

    it('counts logins, duplicate logins, evictions, rejections and logouts', async () => {
      const before = await counters();
      const first = await loggedIn(t0, 'amir');
      assert.equal(first.duplicateLogin, false);
      const limit = (onLimit: 'evict-oldest' | 'reject-new') => ({ login: { principal: 'amir', maxPerPrincipal: 1, onLimit } });
      const second = ok(await store.commit(seeded(t0 + 1, limit('evict-oldest'))));
      assert.equal(second.duplicateLogin, true);
      assert.deepEqual(second.evicted, [first.handle]);
      const refused = await store.commit(seeded(t0 + 2, limit('reject-new')));
      assert.equal(refused.ok, false);
      // Logging in again from the principal's own session is not a duplicate.
      assert.equal(ok(await store.commit(seeded(t0 + 3, { key: second.key, ...limit('reject-new') }))).duplicateLogin, false);
      const unlimited = await loggedIn(t0 + 4, 'amir');
      assert.equal(unlimited.duplicateLogin, true);
      ok(await store.commit(seeded(t0 + 5, { key: unlimited.key, logout: true })));
      assert.deepEqual(moved(before, await counters()), {
        created: 3, logins: 4, duplicateLogins: 3, loginRejected: 1, destroyedEvicted: 1, destroyedLogout: 1,
      });
    });

    it('reports live sessions and their size distribution', async () => {
      const small = await loggedIn(t0, 'bea');
      const big = await loggedIn(t0, 'bea', { ops: { set: new Map([[attributeField('', 'pad'), JSON.stringify('x'.repeat(3000))]]), unset: [], incr: new Map() } });
      const stats = await store.stats(t0 + 1);
      assert.equal(stats.active, 2);
      assert.equal(stats.pendingExpiry, 0);
      const at = (le: number | null) => stats.sizeBuckets.find((b) => b.le === le)?.count;
      assert.equal(at(256), 1);
      assert.equal(at(2048), 1);
      assert.equal(at(4096), 2);
      assert.equal(at(null), 2);
      const later = await store.stats(t0 + 31 * MIN);
      assert.deepEqual([later.active, later.pendingExpiry], [0, 2], 'past the deadline, not swept yet');
      await store.sweepExpired(t0 + 31 * MIN, SWEEP);
      const swept = await store.stats(t0 + 31 * MIN);
      assert.deepEqual([swept.active, swept.pendingExpiry, swept.sizeBuckets.at(-1)?.count], [0, 0, 0]);
      assert.deepEqual([small.principal, big.principal], ['bea', 'bea']);
    });
  });
}
