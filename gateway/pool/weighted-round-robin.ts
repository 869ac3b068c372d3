/**
 * Smooth weighted round-robin, as nginx's upstream module does it: each pick adds every candidate's weight to its
 * current weight, takes the largest, and subtracts the total from the winner. Spreads a 5:1:1 split as
 * a a b a c a a rather than a a a a a b c. Pure: no sockets, testable alone.
 */
export interface WeightedPeer {
  readonly weight: number;
  currentWeight: number;
}

export function pickSmoothWeighted<T extends WeightedPeer>(peers: readonly T[], effectiveWeight: (peer: T) => number = (p) => p.weight): T | null {
  let best: T | null = null;
  let total = 0;
  for (const peer of peers) {
    const weight = effectiveWeight(peer);
    if (weight <= 0) continue;
    peer.currentWeight += weight;
    total += weight;
    if (best === null || peer.currentWeight > best.currentWeight) best = peer;
  }
  if (best) best.currentWeight -= total;
  return best;
}
