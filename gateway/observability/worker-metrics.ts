import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { GatewayMetrics } from './gateway-metrics.js';

/** One process's metrics as JSON: what a worker sends its master (registry.getMetricsAsJSON()). */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

export function metricsSnapshot(metrics: GatewayMetrics): Promise<MetricsSnapshot> {
  return metrics.registry.getMetricsAsJSON();
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
