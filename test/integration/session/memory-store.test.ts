import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemorySessionStore } from '../../../gateway/session/memory-store.js';
import { attributeField } from '../../../gateway/session/store.js';
import { runStoreConformance } from './store-conformance.js';

runStoreConformance('memory', async () => {
  const store = new MemorySessionStore({ sweepIntervalMs: 0 });
  return { store, storedKeys: async () => store.debugKeys().sort(), close: () => store.close() };
});

describe('MemorySessionStore sweep', () => {
  it('drops sessions and tombstones whose time is over, with their index entries', async () => {
    const store = new MemorySessionStore({ sweepIntervalMs: 0 });
    const t0 = Date.now();
    const timeouts = { idleTimeoutMs: 1_000, absoluteTimeoutMs: 10_000 };
    const base = { ops: { set: new Map([[attributeField('', 'a'), '1']]), unset: [], incr: new Map() }, logout: false, maxBytes: 1024, backend: null, ...timeouts };
    const a = await store.commit({ ...base, now: t0, key: null, newKey: 'ka', newHandle: 'ha', login: { principal: 'p', maxPerPrincipal: 1, onLimit: 'evict-oldest' } });
    const b = await store.commit({ ...base, now: t0 + 500, key: null, newKey: 'kb', newHandle: 'hb', login: { principal: 'p', maxPerPrincipal: 1, onLimit: 'evict-oldest' } });
    assert.ok(a.ok && b.ok);
    assert.deepEqual(b.evicted, ['ha']);
    assert.deepEqual(store.debugKeys().sort(), ['e:ka', 'h:hb', 'p:p', 's:kb', 'x:deadlines', 'z:sizes']);
    assert.deepEqual(store.sweep(t0 + 1_000), []); // the tombstone lapses with what would have been a's deadline
    assert.deepEqual(store.debugKeys().sort(), ['h:hb', 'p:p', 's:kb', 'x:deadlines', 'z:sizes']);
    assert.deepEqual(store.sweep(t0 + 1_500), [{ handle: 'hb', principal: 'p', reason: 'idle' }]);
    assert.deepEqual(store.debugKeys(), []);
    await store.close();
  });
});
