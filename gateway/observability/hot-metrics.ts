import type { Registry } from 'prom-client';

/**
 * Counters and histograms for the request path (docs/architecture.md §8). prom-client's own validate and hash a
 * label object on every call (a closure, a sort, a string join): per request, with five updates, that cost more than
 * the session's HMAC. These keep one child per label set, found by its label values joined into one key, and give
 * the registry prom-client's metric interface (`get()` in prom-client's JSON shape), so exposition, the workers'
 * aggregation (AggregatorRegistry, aggregator "sum") and promtool see the same metric as before.
 */

type Labels = Record<string, string>;

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

interface MetricJson {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: MetricValue[];
  aggregator: 'sum';
}

interface HotMetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  registers: Registry[];
}

/** The part both share: children keyed by label values in `labelNames` order, registered as a prom-client metric. */
abstract class HotMetric<L extends string, C> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum' as const;
  readonly labelNames: readonly L[];
  protected children = new Map<string, { labels: Labels; child: C }>();

  constructor(options: HotMetricOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames ?? [];
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  /** A metric without labels is exposed (as 0) from the start, as prom-client's are: a scrape sees it exists. */
  protected exposeUnlabelled(): void {
    if (this.labelNames.length === 0) this.childOf([]);
  }

  protected abstract create(): C;

  /**
   * The children of two or more label values again, by each value in turn through nested maps: the per-request
   * updates pass long-lived strings (upstream, backend, status class) whose hashes V8 keeps, where a joined key is a
   * new string to build and hash at every update.
   */
  #nested = new Map<string, unknown>();

  /** The child for these label values (in `labelNames` order), made on first use. */
  protected childOf(values: readonly string[]): C {
    if (values.length < 2) return this.#childByKey(values);
    let level = this.#nested;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      let next = level.get(values[i]!) as Map<string, unknown> | undefined;
      if (next === undefined) {
        next = new Map<string, unknown>();
        level.set(values[i]!, next);
      }
      level = next;
    }
    let child = level.get(values[last]!) as C | undefined;
    if (child === undefined) {
      child = this.#childByKey(values);
      level.set(values[last]!, child);
    }
    return child;
  }

  #childByKey(values: readonly string[]): C {
    const key = values.length === 1 ? values[0]! : values.join('\u0000');
    let entry = this.children.get(key);
    if (entry === undefined) {
      const labels: Labels = {};
      this.labelNames.forEach((name, i) => { labels[name] = values[i] ?? ''; });
      entry = { labels, child: this.create() };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  protected childOfLabels(labels: Partial<Record<L, string>> | undefined): C {
    return this.childOf(this.labelNames.map((name) => String(labels?.[name] ?? '')));
  }

  reset(): void {
    this.children = new Map();
    this.#nested = new Map();
    this.exposeUnlabelled();
  }
}

export class HotCounter<L extends string = never> extends HotMetric<L, { value: number }> {
  readonly type = 'counter' as const;

  constructor(options: HotMetricOptions<L>) {
    super(options);
    this.exposeUnlabelled();
  }

  protected create(): { value: number } {
    return { value: 0 };
  }

  /** prom-client's signature: `inc(n)`, `inc(labels)` or `inc(labels, n)`. */
  inc(labels?: Partial<Record<L, string>> | number, n = 1): void {
    if (typeof labels === 'number') this.childOf([]).value += labels;
    else this.childOfLabels(labels).value += n;
  }

  /** The cheap path: label values in `labelNames` order. */
  add(values: readonly string[], n = 1): void {
    this.childOf(values).value += n;
  }

  async get(): Promise<MetricJson> {
    const values: MetricValue[] = [];
    for (const { labels, child } of this.children.values()) values.push({ labels: { ...labels }, value: child.value });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

interface HistogramChild {
  /** Per bucket (not cumulative), the last one past the largest bound (+Inf). */
  counts: Float64Array;
  sum: number;
  count: number;
}

export class HotHistogram<L extends string = never> extends HotMetric<L, HistogramChild> {
  readonly type = 'histogram' as const;
  readonly #bounds: readonly number[];

  constructor(options: HotMetricOptions<L> & { buckets: readonly number[] }) {
    super(options);
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
    this.exposeUnlabelled();
  }

  protected create(): HistogramChild {
    return { counts: new Float64Array(this.#bounds.length + 1), sum: 0, count: 0 };
  }

  /** prom-client's signature: `observe(labels, value)`. */
  observe(labels: Partial<Record<L, string>>, value: number): void {
    this.#record(this.childOfLabels(labels), value);
  }

  /** The cheap path: label values in `labelNames` order. */
  record(values: readonly string[], value: number): void {
    this.#record(this.childOf(values), value);
  }

  #record(child: HistogramChild, value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    child.counts[i]! += 1;
    child.sum += value;
    child.count += 1;
  }

  async get(): Promise<MetricJson> {
    const values: MetricValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, child } of this.children.values()) {
      let cumulative = 0;
      this.#bounds.forEach((le, i) => {
        cumulative += child.counts[i]!;
        values.push({ labels: { le, ...labels }, value: cumulative, metricName: bucket });
      });
      values.push({ labels: { le: '+Inf', ...labels }, value: child.count, metricName: bucket });
      values.push({ labels: { ...labels }, value: child.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...labels }, value: child.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
