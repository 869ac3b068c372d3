/**
 * Smooth weighted round robin, as nginx spreads requests over weighted upstream servers: over any N picks each
 * entry gets its share within one pick, interleaved rather than in runs. The load's mix is therefore exactly the
 * scenario's weights, and the counts per request are something a test can check.
 */
export class WeightedPicker {
  readonly #weights: number[];
  readonly #current: number[];
  readonly #total: number;

  constructor(weights: readonly number[]) {
    if (weights.length === 0 || weights.some((w) => !(w > 0))) throw new RangeError('weights must be positive and at least one');
    this.#weights = [...weights];
    this.#current = weights.map(() => 0);
    this.#total = weights.reduce((a, b) => a + b, 0);
  }

  pick(): number {
    let best = 0;
    for (let i = 0; i < this.#weights.length; i++) {
      this.#current[i]! += this.#weights[i]!;
      if (this.#current[i]! > this.#current[best]!) best = i;
    }
    this.#current[best]! -= this.#total;
    return best;
  }
}

/**
 * An overall request rate shared by every worker: request k may start at start + k/rate. A worker that is late
 * starts at once (the schedule does not slip), so a slow second is followed by a catch-up, not by silence that
 * would hide how long requests waited.
 */
export class RatePacer {
  readonly #intervalMs: number;
  readonly #clock: () => number;
  #next: number;

  constructor(ratePerSecond: number, clock: () => number = () => performance.now()) {
    if (!(ratePerSecond > 0)) throw new RangeError('rate must be positive');
    this.#intervalMs = 1000 / ratePerSecond;
    this.#clock = clock;
    this.#next = clock();
  }

  /** Resolves when the caller's slot has come. */
  async wait(): Promise<void> {
    const slot = this.#next;
    this.#next += this.#intervalMs;
    const delay = slot - this.#clock();
    if (delay > 1) await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
