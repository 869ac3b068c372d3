import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { UpstreamPool } from '../pool/upstream-pool.js';

/**
 * The one Prometheus registry of the process (GET /metrics). Every metric lives here so other concerns (sessions)
 * add theirs next to these: `export const sessionX = new Counter({ ..., registers: [metricsRegistry] })`.
 * Names are prefixed `session_gateway_`.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'session_gateway_process_' });

export const requestsTotal = new Counter({
  name: 'session_gateway_requests_total',
  help: 'Responses sent to clients, by status class (2xx, 3xx, 4xx, 5xx).',
  labelNames: ['status_class'] as const,
  registers: [metricsRegistry],
});

export const upstreamFailuresTotal = new Counter({
  name: 'session_gateway_upstream_failures_total',
  help: 'Failed attempts to a backend (refused, reset, timeout), by backend.',
  labelNames: ['backend'] as const,
  registers: [metricsRegistry],
});

export const retriesTotal = new Counter({
  name: 'session_gateway_retries_total',
  help: 'Requests retried on another backend (only when safe, docs/architecture.md §6).',
  registers: [metricsRegistry],
});

let boundPool: UpstreamPool | null = null;

/** Backend gauges read the pool when scraped; the gateway binds its pool once at start. */
export function bindPoolMetrics(pool: UpstreamPool): void {
  boundPool = pool;
}

new Gauge({
  name: 'session_gateway_backend_state',
  help: '1 for the admin state and the health state each backend is in.',
  labelNames: ['backend', 'upstream', 'kind', 'state'] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const b of boundPool?.allBackends() ?? []) {
      for (const state of ['READY', 'DRAINING', 'MAINT']) this.set({ backend: b.name, upstream: b.upstream, kind: 'admin', state }, b.adminState === state ? 1 : 0);
      for (const state of ['UNKNOWN', 'HEALTHY', 'UNHEALTHY']) this.set({ backend: b.name, upstream: b.upstream, kind: 'health', state }, b.health === state ? 1 : 0);
    }
  },
});

new Gauge({
  name: 'session_gateway_backend_in_flight',
  help: 'Requests in flight to each backend from this gateway.',
  labelNames: ['backend', 'upstream'] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const b of boundPool?.allBackends() ?? []) this.set({ backend: b.name, upstream: b.upstream }, b.inFlight);
  },
});

new Gauge({
  name: 'session_gateway_backend_long_lived',
  help: 'WebSocket tunnels and SSE streams open to each backend from this gateway.',
  labelNames: ['backend', 'upstream'] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const b of boundPool?.allBackends() ?? []) this.set({ backend: b.name, upstream: b.upstream }, b.longLived.size);
  },
});

export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}
