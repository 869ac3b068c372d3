import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { getHeapStatistics } from 'node:v8';
import { describe, it } from 'node:test';
import { MemorySessionStore } from '../../../gateway/session/memory-store.js';
import { attributeField } from '../../../gateway/session/store.js';
import { runStoreConformance } from './store-conformance.js';

runStoreConformance('memory', async () => {
  const store = new MemorySessionStore({ sweepIntervalMs: 0 });
  return { store, storedKeys: async () => store.debugKeys().sort(), close: () => store.close() };
});

describe('MemorySessionStore memory bound', () => {
  const timeouts = { idleTimeoutMs: 60_000, absoluteTimeoutMs: 3_600_000 };
  const commit = (store: MemorySessionStore, now: number, key: string | null, value: string) => store.commit({
    now, key, token: randomBytes(12).toString('base64url'), newKey: randomBytes(32).toString('base64url'), newHandle: randomBytes(16).toString('base64url'), login: null, logout: false,
    maxBytes: 8192, backend: null, ...timeouts, ops: { set: new Map([[attributeField('', 'v'), JSON.stringify(value)]]), unset: [], incr: new Map() },
  });

  it('refuses new sessions with SG_STORE_FULL at its limit while existing ones keep working, and frees what ends', async () => {
    const store = new MemorySessionStore({ sweepIntervalMs: 0, memoryLimitBytes: 20_000 });
    const now = Date.now();
    const keys: string[] = [];
    let refused = null;
    for (let i = 0; i < 1000 && refused === null; i++) {
      const r = await commit(store, now, null, `session ${i}`);
      if (r.ok) keys.push(r.key);
      else refused = r;
    }
    assert.deepEqual(refused, { ok: false, code: 'SG_STORE_FULL', limit: 20_000 });
    assert.ok(keys.length > 5 && keys.length < 40, `${keys.length} sessions fit in 20,000 bytes`);
    assert.ok(store.memory.used <= 20_000 * 0.9, `new sessions stop at 90 % (${store.memory.used})`);
    // What exists keeps working: reads, and writes that fit in the headroom above the new-session share.
    assert.ok((await store.load(keys[0]!, { now: now + 1, touchAfterMs: 0, ...timeouts })).found);
    assert.ok((await commit(store, now + 2, keys[0]!, 'a little longer than before')).ok);
    // A write that would pass the limit itself is refused and changes nothing.
    const huge = await commit(store, now + 3, keys[1]!, 'x'.repeat(4000));
    assert.equal(huge.ok ? 'ok' : huge.code, 'SG_STORE_FULL');
    const loaded = await store.load(keys[1]!, { now: now + 4, touchAfterMs: 0, ...timeouts });
    assert.ok(loaded.found);
    assert.equal(loaded.session.fields.get(attributeField('', 'v')), JSON.stringify('session 1'));
    // Ended sessions give their room back.
    for (const key of keys) await store.commit({ ...logout(key, now + 5) });
    assert.equal(store.memory.used, 0);
    assert.ok((await commit(store, now + 6, null, 'room again')).ok);
    await store.close();
  });

  const logout = (key: string, now: number) => ({
    now, key, newKey: null, newHandle: 'unused', token: 'unused', login: null, logout: true, maxBytes: 8192, backend: null, ...timeouts, ops: { set: new Map(), unset: [], incr: new Map() },
  });

  it('defaults to half the V8 heap limit', () => {
    const store = new MemorySessionStore({ sweepIntervalMs: 0 });
    assert.equal(store.memory.limit, Math.floor(getHeapStatistics().heap_size_limit / 2));
  });
});

describe('MemorySessionStore sweep', () => {
  it('drops sessions and tombstones whose time is over, with their index entries', async () => {
    const store = new MemorySessionStore({ sweepIntervalMs: 0 });
    const t0 = Date.now();
    const timeouts = { idleTimeoutMs: 1_000, absoluteTimeoutMs: 10_000 };
    const base = { token: 't', ops: { set: new Map([[attributeField('', 'a'), '1']]), unset: [], incr: new Map() }, logout: false, maxBytes: 1024, backend: null, ...timeouts };
    const a = await store.commit({ ...base, now: t0, key: null, newKey: 'ka', newHandle: 'ha', login: { principal: 'p', maxPerPrincipal: 1, onLimit: 'evict-oldest' } });
    const b = await store.commit({ ...base, now: t0 + 500, key: null, newKey: 'kb', newHandle: 'hb', login: { principal: 'p', maxPerPrincipal: 1, onLimit: 'evict-oldest' } });
    assert.ok(a.ok && b.ok);
    assert.deepEqual(b.evicted, ['ha']);
    assert.deepEqual(store.debugKeys().sort(), ['e:ka', 'k', 'p:p', 's:kb', 'x', 'z']);
    assert.deepEqual(store.sweep(t0 + 1_000), []); // the tombstone lapses with what would have been a's deadline
    assert.deepEqual(store.debugKeys().sort(), ['k', 'p:p', 's:kb', 'x', 'z']);
    assert.deepEqual(store.sweep(t0 + 1_500), [{ handle: 'hb', principal: 'p', reason: 'idle' }]);
    assert.deepEqual(store.debugKeys(), []);
    await store.close();
  });
});
