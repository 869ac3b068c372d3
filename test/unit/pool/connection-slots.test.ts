import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnectionSlots } from '../../../gateway/pool/connection-slots.js';

test('max_conns slots: over the limit, exchanges start in arrival order as slots free; a release counts once', () => {
  const slots = new ConnectionSlots(1);
  const started: string[] = [];
  const releases: Record<string, () => void> = {};
  const take = (name: string) => slots.take((release) => {
    started.push(name);
    releases[name] = release;
  });
  take('a');
  take('b');
  const cancelC = take('c');
  take('d');
  assert.deepEqual(started, ['a']);
  assert.equal(slots.waiting, 3);
  assert.equal(cancelC(), true, 'a waiting exchange can be cancelled');
  releases.a!();
  releases.a!();
  assert.deepEqual(started, ['a', 'b'], 'a second release of the same slot frees nothing more');
  assert.equal(slots.taken, 1);
  releases.b!();
  assert.deepEqual(started, ['a', 'b', 'd'], 'the cancelled exchange never starts');
  releases.d!();
  assert.equal(slots.taken, 0);
  assert.equal(slots.waiting, 0);
});

test('max_conns 0 is no limit, and a cancel after the start reports that the slot is held', () => {
  const slots = new ConnectionSlots(0);
  let n = 0;
  const cancels = Array.from({ length: 5 }, () => slots.take(() => n++));
  assert.equal(n, 5);
  assert.equal(slots.taken, 5);
  assert.equal(cancels[0]!(), false);
});
