import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { GatewayMetrics } from './gateway-metrics.js';
import { CLUSTER_METRICS } from './session-metrics.js';

/** One process's metrics as JSON: what a worker sends its master (registry.getMetricsAsJSON()). */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/**
 * `storeWide: false` leaves out the store-wide metrics (session-metrics.ts CLUSTER_METRICS): reading them asks the
 * store for its stats, which the dashboard's 5-second samples must not do (it reads them itself, every 30 s).
 */
export async function metricsSnapshot(metrics: GatewayMetrics, options: { storeWide?: boolean } = {}): Promise<MetricsSnapshot> {
  if (options.storeWide !== false) return metrics.registry.getMetricsAsJSON();
  const wanted = metrics.registry.getMetricsAsArray().filter((m) => !CLUSTER_METRICS.includes(m.name));
  return (await Promise.all(wanted.map((m) => (m as unknown as { get(): Promise<MetricsSnapshot[number]> }).get()))) as MetricsSnapshot;
}

/**
 * The exposition a master serves for all its workers (docs/architecture.md §8, §12): counters and histograms summed,
 * the gauges that every worker reads from the same place (backend states, store-wide numbers, build info, config
 * generation) taken once, as each metric's `aggregator` says.
 */
export async function aggregateSnapshots(snapshots: MetricsSnapshot[]): Promise<{ text: string; contentType: string }> {
  const registry = AggregatorRegistry.aggregate(snapshots);
  return { text: await registry.metrics(), contentType: registry.contentType };
}
