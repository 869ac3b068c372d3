import type { SessionStats } from '../session/store.js';

/** A metric as prom-client's `getMetricsAsJSON()` gives it (also what an aggregation over workers gives). */
export interface MetricJson {
  name: string;
  type: string;
  values: Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
}

/** One sample of the dashboard's charts: rates and quantiles over the interval that ended at `t`. */
export interface DashboardPoint {
  t: number;
  requestsPerSecond: number | null;
  clientErrorsPerSecond: number | null;
  serverErrorsPerSecond: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  activeSessions: number | null;
  createdPerSecond: number | null;
  endedPerSecond: number | null;
  storeP50Ms: number | null;
  storeP99Ms: number | null;
}

export interface DashboardHistoryOptions {
  /** The metrics of this gateway (summed over its workers when it has several). */
  metrics: () => Promise<MetricJson[]>;
  /** The store's numbers (store-wide on Redis). */
  sessionStats: (now: number) => Promise<SessionStats>;
  intervalMs?: number;
  /**
   * How often the store's numbers are read (default 30 s). On Redis a stats read is a script per bucket (256), so
   * reading it with every 5-second point would cost an idle gateway more than its traffic does; the session series
   * get a point every `storeEveryMs`, with rates over that longer interval.
   */
  storeEveryMs?: number;
  /** How many points to keep: 180 × 5 s = the last 15 minutes. */
  keep?: number;
  clock?: () => number;
}

export const REQUESTS = 'session_gateway_requests_total';
export const REQUEST_DURATION = 'session_gateway_request_duration_seconds';
export const STORE_DURATION = 'session_gateway_store_operation_duration_seconds';

interface Totals {
  t: number;
  requests: number;
  clientErrors: number;
  serverErrors: number;
  requestBuckets: Map<number, number>;
  storeBuckets: Map<number, number>;
}

interface StoreTotals {
  t: number;
  created: number;
  ended: number;
  active: number;
}

type SessionSeries = Pick<DashboardPoint, 'activeSessions' | 'createdPerSecond' | 'endedPerSecond'>;
const NO_SESSION_POINT: SessionSeries = { activeSessions: null, createdPerSecond: null, endedPerSecond: null };

/** Cumulative bucket counts of a histogram, summed over its other labels (le → count; +Inf as Infinity). */
export function bucketsOf(metrics: MetricJson[], name: string): Map<number, number> {
  const buckets = new Map<number, number>();
  const metric = metrics.find((m) => m.name === name);
  for (const v of metric?.values ?? []) {
    if (v.metricName !== `${name}_bucket`) continue;
    const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + v.value);
  }
  return buckets;
}

/**
 * The q-quantile of the observations between two cumulative snapshots, interpolated linearly inside its bucket as
 * Prometheus' histogram_quantile() does; null when nothing was observed in between.
 */
export function quantileBetween(before: Map<number, number>, after: Map<number, number>, q: number): number | null {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((le) => Math.max(0, (after.get(le) ?? 0) - (before.get(le) ?? 0)));
  const total = counts[counts.length - 1] ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i]! < rank) continue;
    const upper = bounds[i]!;
    const lower = i === 0 ? 0 : bounds[i - 1]!;
    // In the +Inf bucket the best estimate is the largest finite bound, as histogram_quantile() answers.
    if (upper === Infinity) return lower;
    const below = i === 0 ? 0 : counts[i - 1]!;
    const inBucket = counts[i]! - below;
    return inBucket === 0 ? upper : lower + (upper - lower) * ((rank - below) / inBucket);
  }
  return bounds[bounds.length - 1] ?? null;
}

function counterSum(metrics: MetricJson[], name: string, match: (labels: Record<string, string | number>) => boolean = () => true): number {
  const metric = metrics.find((m) => m.name === name);
  return (metric?.values ?? []).filter((v) => match(v.labels)).reduce((sum, v) => sum + v.value, 0);
}

/**
 * What the dashboard's charts show (docs/architecture.md §8): every `intervalMs` the admin listener reads its own
 * metrics and the store's numbers and keeps the rates and quantiles of that interval, so a page opened now shows
 * the last 15 minutes instead of numbers that flicker from one snapshot to the next.
 */
export class DashboardHistory {
  readonly intervalMs: number;
  readonly #options: DashboardHistoryOptions;
  readonly #keep: number;
  readonly #clock: () => number;
  readonly #points: DashboardPoint[] = [];
  readonly #storeEveryMs: number;
  #previous: Totals | null = null;
  #previousStore: StoreTotals | null = null;
  #storeReadAt = -Infinity;
  #timer: NodeJS.Timeout | null = null;
  #sampling: Promise<void> | null = null;

  constructor(options: DashboardHistoryOptions) {
    this.#options = options;
    this.intervalMs = options.intervalMs ?? 5_000;
    this.#keep = options.keep ?? 180;
    this.#storeEveryMs = options.storeEveryMs ?? 30_000;
    this.#clock = options.clock ?? Date.now;
  }

  start(): void {
    if (this.#timer) return;
    void this.sample();
    this.#timer = setInterval(() => void this.sample(), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  points(): DashboardPoint[] {
    return [...this.#points];
  }

  /** Take one sample now (the timer's; also callable by tests). A sample in progress is joined, not doubled. */
  sample(): Promise<void> {
    this.#sampling ??= this.#take().finally(() => (this.#sampling = null));
    return this.#sampling;
  }

  async #take(): Promise<void> {
    const totals = await this.#read();
    const sessions = await this.#sessionSeries(totals.t);
    const before = this.#previous;
    this.#previous = totals;
    if (!before) return;
    const seconds = (totals.t - before.t) / 1000;
    if (seconds <= 0) return;
    const rate = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.max(0, a - b) / seconds);
    const ms = (v: number | null) => (v === null ? null : v * 1000);
    this.#points.push({
      t: totals.t,
      requestsPerSecond: rate(totals.requests, before.requests),
      clientErrorsPerSecond: rate(totals.clientErrors, before.clientErrors),
      serverErrorsPerSecond: rate(totals.serverErrors, before.serverErrors),
      p50Ms: ms(quantileBetween(before.requestBuckets, totals.requestBuckets, 0.5)),
      p99Ms: ms(quantileBetween(before.requestBuckets, totals.requestBuckets, 0.99)),
      ...sessions,
      storeP50Ms: ms(quantileBetween(before.storeBuckets, totals.storeBuckets, 0.5)),
      storeP99Ms: ms(quantileBetween(before.storeBuckets, totals.storeBuckets, 0.99)),
    });
    if (this.#points.length > this.#keep) this.#points.splice(0, this.#points.length - this.#keep);
  }

  async #read(): Promise<Totals> {
    const t = this.#clock();
    const metrics = await this.#options.metrics().catch(() => [] as MetricJson[]);
    return {
      t,
      requests: counterSum(metrics, REQUESTS),
      clientErrors: counterSum(metrics, REQUESTS, (l) => l.status_class === '4xx'),
      serverErrors: counterSum(metrics, REQUESTS, (l) => l.status_class === '5xx'),
      requestBuckets: bucketsOf(metrics, REQUEST_DURATION),
      storeBuckets: bucketsOf(metrics, STORE_DURATION),
    };
  }

  /** The session series for a point at `t`: read from the store every `storeEveryMs`, empty in between. */
  async #sessionSeries(t: number): Promise<SessionSeries> {
    if (t - this.#storeReadAt < this.#storeEveryMs) return NO_SESSION_POINT;
    this.#storeReadAt = t;
    // The store may be down: the chart shows a gap for the session series, the request series go on.
    const stats = await this.#options.sessionStats(t).catch(() => null);
    if (!stats) return NO_SESSION_POINT;
    const c = stats.counters;
    const now: StoreTotals = { t, created: c.created, active: stats.active, ended: c.destroyedLogout + c.destroyedKill + c.destroyedEvicted + c.expiredIdle + c.expiredAbsolute + c.expiredLapsed };
    const before = this.#previousStore;
    this.#previousStore = now;
    const seconds = before ? (t - before.t) / 1000 : 0;
    const rate = (a: number, b: number | undefined) => (b === undefined || seconds <= 0 ? null : Math.max(0, a - b) / seconds);
    return { activeSessions: now.active, createdPerSecond: rate(now.created, before?.created), endedPerSecond: rate(now.ended, before?.ended) };
  }
}
