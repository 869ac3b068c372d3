import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCoordStore } from '../../../gateway/coord/memory-coord.js';

describe('MemoryCoordStore', () => {
  it('bumps the epoch on every change and hints listeners', async () => {
    const store = new MemoryCoordStore();
    let hints = 0;
    store.onChange(() => hints++);
    const a = await store.setState('b1', 'DRAINING', 'test');
    const b = await store.setState('b1', 'READY', 'test');
    assert.equal(b.epoch, a.epoch + 1);
    assert.equal((await store.load()).backends.b1?.state, 'READY');
    assert.equal(hints, 2);
  });

  it('the rollout lock has one owner until it is released or expires', async () => {
    let now = 0;
    const store = new MemoryCoordStore(() => now);
    assert.deepEqual(await store.acquireLock('one', 1_000), { acquired: true });
    assert.deepEqual(await store.acquireLock('two', 1_000), { acquired: false, holder: 'one' });
    assert.equal(await store.renewLock('two', 1_000), false);
    now = 1_001;
    assert.deepEqual(await store.acquireLock('two', 1_000), { acquired: true }, 'an expired lock is free');
    assert.equal(await store.releaseLock('one'), false);
    assert.equal(await store.releaseLock('two'), true);
    assert.equal(await store.lockHolder(), null);
  });

  it('heartbeats drop out after their TTL', async () => {
    let now = 0;
    const store = new MemoryCoordStore(() => now);
    await store.publishHeartbeat({ gatewayId: 'g1', epoch: 0, at: 0, backends: {} }, 5_000);
    assert.equal((await store.heartbeats()).length, 1);
    now = 5_000;
    assert.equal((await store.heartbeats()).length, 0);
  });
});
