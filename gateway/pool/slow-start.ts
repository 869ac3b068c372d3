/**
 * Slow start (nginx `slow_start`): after a backend comes back its weight ramps linearly from a small share to the
 * full weight over `slowStartMs`, so a cold app node is not handed its full share of traffic at once.
 */
export const SLOW_START_FLOOR = 0.05;

export function slowStartWeight(weight: number, sinceMs: number | null, slowStartMs: number, now: number): number {
  if (sinceMs === null || slowStartMs <= 0) return weight;
  const elapsed = now - sinceMs;
  if (elapsed >= slowStartMs) return weight;
  return weight * Math.max(SLOW_START_FLOOR, elapsed / slowStartMs);
}
