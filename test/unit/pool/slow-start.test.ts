import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SLOW_START_FLOOR, slowStartWeight } from '../../../gateway/pool/slow-start.js';
import { pickSmoothWeighted } from '../../../gateway/pool/weighted-round-robin.js';

describe('slow start', () => {
  it('ramps the weight linearly from a floor to the full weight', () => {
    assert.equal(slowStartWeight(10, null, 10_000, 5_000), 10);
    assert.equal(slowStartWeight(10, 0, 10_000, 0), 10 * SLOW_START_FLOOR);
    assert.equal(slowStartWeight(10, 0, 10_000, 5_000), 5);
    assert.equal(slowStartWeight(10, 0, 10_000, 10_000), 10);
    assert.equal(slowStartWeight(10, 0, 0, 0), 10, 'slow start off');
  });

  it('a backend in slow start gets a smaller share of the picks', () => {
    const peers = [{ name: 'warm', weight: 1, currentWeight: 0, ramp: 1 }, { name: 'cold', weight: 1, currentWeight: 0, ramp: 0.25 }];
    const counts: Record<string, number> = { warm: 0, cold: 0 };
    for (let i = 0; i < 100; i++) counts[pickSmoothWeighted(peers, (p) => p.weight * p.ramp)!.name]!++;
    assert.equal(counts.warm, 80);
    assert.equal(counts.cold, 20);
  });
});
