import { LatencyHistogram, type LatencySummary } from './latency-histogram.js';

/**
 * How a request ended: `ok` (an expected status), `status` (an answer with an unexpected status), `socket` (no
 * answer: refused, reset, closed) or `timeout` (no complete answer within the request timeout).
 */
export type OutcomeKind = 'ok' | 'status' | 'socket' | 'timeout';

export interface ErrorCounts {
  status: number;
  socket: number;
  timeout: number;
}

/** One second of the run, counted by completion time (t = whole seconds since the load started). */
export interface SecondStats {
  t: number;
  requests: number;
  ok: number;
  failed: ErrorCounts;
  /** Of the successful requests (a fast error must not make a deployment look quick). */
  latencyMs: LatencySummary;
  /** Sessions that broke in this second. */
  broken: number;
}

export function emptyErrors(): ErrorCounts {
  return { status: 0, socket: 0, timeout: 0 };
}

/**
 * Per-second counts and latency percentiles, plus the whole run's. Completion times only move forward, so a second
 * is summarised (and its histogram dropped) as soon as a later one begins: memory stays bounded on long runs.
 */
export class Timeline {
  readonly startedAt: number;
  readonly total = new LatencyHistogram();
  readonly #clock: () => number;
  readonly #done: SecondStats[] = [];
  #current: { t: number; stats: SecondStats; histogram: LatencyHistogram } | null = null;

  constructor(clock: () => number = () => performance.now()) {
    this.#clock = clock;
    this.startedAt = clock();
  }

  /** Milliseconds since the load started. */
  elapsedMs(): number {
    return this.#clock() - this.startedAt;
  }

  #second(): { stats: SecondStats; histogram: LatencyHistogram } {
    const t = Math.max(0, Math.floor(this.elapsedMs() / 1000));
    if (this.#current && this.#current.t === t) return this.#current;
    if (this.#current) this.#finish(this.#current);
    // Quiet seconds (a stall) are seconds too: the timeline must show them as zero.
    for (let gap = (this.#done.at(-1)?.t ?? -1) + 1; gap < t; gap++) this.#done.push(blankSecond(gap));
    this.#current = { t, stats: blankSecond(t), histogram: new LatencyHistogram() };
    return this.#current;
  }

  #finish(current: { stats: SecondStats; histogram: LatencyHistogram }): void {
    current.stats.latencyMs = current.histogram.summary();
    this.#done.push(current.stats);
  }

  record(kind: OutcomeKind, latencyMs: number): void {
    const { stats, histogram } = this.#second();
    stats.requests++;
    if (kind === 'ok') {
      stats.ok++;
      histogram.record(latencyMs);
      this.total.record(latencyMs);
    } else stats.failed[kind]++;
  }

  broke(): void {
    this.#second().stats.broken++;
  }

  /** Every second so far, the current one included (summarised as it stands). */
  seconds(): SecondStats[] {
    const current = this.#current ? [{ ...this.#current.stats, latencyMs: this.#current.histogram.summary() }] : [];
    return [...this.#done, ...current];
  }
}

function blankSecond(t: number): SecondStats {
  return { t, requests: 0, ok: 0, failed: emptyErrors(), latencyMs: { p50: 0, p99: 0, p999: 0, mean: 0, max: 0 }, broken: 0 };
}
