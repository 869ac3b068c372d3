/** Latency percentiles of a run or of one second, in milliseconds. */
export interface LatencySummary {
  p50: number;
  p99: number;
  p999: number;
  mean: number;
  max: number;
}

/**
 * A log-bucketed latency histogram with ~1 % relative precision from 1 µs to hours, in a fixed ~2,300-slot array.
 * An HDR histogram with a 1 ms lowest unit (autocannon's) is far too coarse for a "p99 added under 2 ms" target, so
 * the load engine records every response time itself (docs/architecture.md §15).
 */
export class LatencyHistogram {
  static readonly GROWTH = 1.01;
  readonly #logGrowth = Math.log(LatencyHistogram.GROWTH);
  readonly #counts: Float64Array;
  #total = 0;
  #sumMs = 0;
  #maxMs = 0;

  constructor() {
    // 1 µs .. 10^4 s covers everything a bench can see; values past the last slot land in it.
    this.#counts = new Float64Array(this.#indexOfMicros(1e10) + 1);
  }

  get count(): number {
    return this.#total;
  }

  #indexOfMicros(micros: number): number {
    if (micros <= 1) return 0;
    return Math.ceil(Math.log(micros) / this.#logGrowth);
  }

  /** Upper edge of a slot, in microseconds: every value recorded in slot i is ≤ this and > the edge of slot i-1. */
  #upperMicros(index: number): number {
    return Math.pow(LatencyHistogram.GROWTH, index);
  }

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const index = Math.min(this.#indexOfMicros(ms * 1000), this.#counts.length - 1);
    this.#counts[index] = (this.#counts[index] ?? 0) + 1;
    this.#total += 1;
    this.#sumMs += ms;
    if (ms > this.#maxMs) this.#maxMs = ms;
  }

  /** The value at quantile q (0..1) in ms, as the upper edge of its slot (never below the true value), capped at max. */
  quantile(q: number): number {
    if (this.#total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#total));
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i += 1) {
      seen += this.#counts[i] ?? 0;
      if (seen >= rank) return Math.min(this.#upperMicros(i) / 1000, this.#maxMs);
    }
    return this.#maxMs;
  }

  summary(): LatencySummary {
    return {
      p50: this.quantile(0.5),
      p99: this.quantile(0.99),
      p999: this.quantile(0.999),
      mean: this.#total === 0 ? 0 : this.#sumMs / this.#total,
      max: this.#maxMs,
    };
  }
}
