import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pickSmoothWeighted, type WeightedPeer } from '../../../gateway/pool/weighted-round-robin.js';

interface Peer extends WeightedPeer {
  name: string;
}

function peers(weights: Record<string, number>): Peer[] {
  return Object.entries(weights).map(([name, weight]) => ({ name, weight, currentWeight: 0 }));
}

function picks(list: Peer[], count: number, effectiveWeight?: (peer: Peer) => number): string {
  const names: string[] = [];
  for (let i = 0; i < count; i++) names.push(pickSmoothWeighted(list, effectiveWeight)?.name ?? '-');
  return names.join(' ');
}

describe('pickSmoothWeighted', () => {
  it('interleaves a 5:1:1 split over 7 picks as nginx does: a a b a c a a', () => {
    assert.equal(picks(peers({ a: 5, b: 1, c: 1 }), 7), 'a a b a c a a');
  });

  it('splits 5:1:1 exactly over every 7 picks', () => {
    const counts = new Map<string, number>();
    for (const name of picks(peers({ a: 5, b: 1, c: 1 }), 700).split(' ')) counts.set(name, (counts.get(name) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(counts), { a: 500, b: 100, c: 100 });
  });

  it('is back where it started after one full cycle', () => {
    const list = peers({ a: 5, b: 1, c: 1 });
    picks(list, 7);
    assert.deepEqual(list.map((p) => p.currentWeight), [0, 0, 0]);
  });

  it('alternates equal weights in order', () => {
    assert.equal(picks(peers({ a: 1, b: 1, c: 1 }), 6), 'a b c a b c');
  });

  it('never picks a peer of weight zero or less', () => {
    const list = peers({ a: 0, b: 2, c: -1, d: 1 });
    assert.equal(picks(list, 6), 'b d b b d b');
  });

  it('leaves the current weight of an unpickable peer alone', () => {
    const list = peers({ a: 0, b: 1 });
    picks(list, 3);
    assert.equal(list[0]?.currentWeight, 0);
  });

  it('uses the effective weight when one is given', () => {
    const list = peers({ a: 5, b: 1, c: 1 });
    assert.equal(picks(list, 4, (p) => (p.name === 'a' ? 0 : p.weight)), 'b c b c');
  });

  it('returns null for no peers', () => {
    assert.equal(pickSmoothWeighted([]), null);
  });

  it('returns null when every peer has weight zero', () => {
    assert.equal(pickSmoothWeighted(peers({ a: 0, b: 0 })), null);
  });
});
