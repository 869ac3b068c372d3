import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveSet } from '../../../gateway/live-set.js';

describe('live sets (the open responses and connections of a listener)', () => {
  it('adds and removes members once each, with a size and the members in slot order', () => {
    const set = new LiveSet<{ n: number }>('test');
    const [a, b, c] = [{ n: 1 }, { n: 2 }, { n: 3 }];
    set.add(a);
    set.add(b);
    set.add(a);
    assert.equal(set.size, 2, 'adding a member again changes nothing');
    assert.deepEqual([...set], [a, b]);
    assert.equal(set.delete(a), true);
    assert.equal(set.delete(a), false, 'a member is removed once');
    assert.equal(set.delete(c), false, 'an object never added is not a member');
    assert.equal(set.size, 1);
    set.add(c);
    assert.deepEqual([...set], [c, b], 'a freed slot is used again');
    set.add(a);
    assert.deepEqual([...set].map((m) => m.n).sort(), [1, 2, 3]);
    assert.equal(set.size, 3);
  });

  it('keeps two sets apart for the same object, and allows removal while iterating', () => {
    const one = new LiveSet<object>('one');
    const two = new LiveSet<object>('two');
    const items = Array.from({ length: 5 }, () => ({}));
    for (const item of items) one.add(item);
    two.add(items[0]!);
    assert.equal(two.delete(items[1]!), false, 'membership of one set is not the other’s');
    const seen: object[] = [];
    for (const item of one) {
      seen.push(item);
      one.delete(item);
    }
    assert.equal(seen.length, 5);
    assert.equal(one.size, 0);
    assert.deepEqual([...two], [items[0]]);
  });
});
