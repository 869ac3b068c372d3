import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WeightedPicker } from '../../../gateway/loadtest/pacing.js';

test('smooth weighted round robin gives each request its share, interleaved (nginx: a a b a c a b a ...)', () => {
  const picker = new WeightedPicker([5, 3, 2]);
  const first = Array.from({ length: 10 }, () => picker.pick());
  assert.deepEqual([0, 1, 2].map((i) => first.filter((p) => p === i).length), [5, 3, 2]);
  // Never the heaviest five times in a row: the mix is spread over the cycle.
  assert.ok(!first.join('').includes('00000'), first.join(''));
  const counts = [0, 0, 0];
  for (let n = 1; n <= 997; n++) {
    counts[picker.pick()]!++;
    const total = n + 10;
    [5, 3, 2].forEach((w, i) => assert.ok(Math.abs(counts[i]! + first.filter((p) => p === i).length - (total * w) / 10) < 2));
  }
});

test('weights must be positive', () => {
  assert.throws(() => new WeightedPicker([]), RangeError);
  assert.throws(() => new WeightedPicker([1, 0]), RangeError);
});
