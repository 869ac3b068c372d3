import { Gauge, type Registry } from 'prom-client';
import type { UpstreamPool } from '../pool/upstream-pool.js';

const ADMIN_STATES = ['READY', 'DRAINING', 'MAINT'] as const;
const HEALTH_STATES = ['UNKNOWN', 'HEALTHY', 'UNHEALTHY'] as const;

/** Backend gauges, read from the pool when scraped (the pool a reload put in place, whichever it is then). */
export function registerBackendGauges(registry: Registry, pool: () => UpstreamPool | null): void {
  const registers = [registry];
  new Gauge({
    name: 'session_gateway_backend_state', help: '1 for the admin state and the health state each backend is in, 0 for the others.',
    labelNames: ['backend', 'upstream', 'kind', 'state'], registers,
    // Every worker mirrors the same states: a sum over workers would read 2 for one backend.
    aggregator: 'max',
    collect() {
      this.reset();
      for (const b of pool()?.allBackends() ?? []) {
        for (const state of ADMIN_STATES) this.set({ backend: b.name, upstream: b.upstream, kind: 'admin', state }, b.adminState === state ? 1 : 0);
        for (const state of HEALTH_STATES) this.set({ backend: b.name, upstream: b.upstream, kind: 'health', state }, b.health === state ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'session_gateway_backend_in_flight', help: 'Requests in flight to each backend from this gateway.',
    labelNames: ['backend', 'upstream'], registers,
    collect() {
      this.reset();
      for (const b of pool()?.allBackends() ?? []) this.set({ backend: b.name, upstream: b.upstream }, b.inFlight);
    },
  });
  new Gauge({
    name: 'session_gateway_backend_long_lived', help: 'WebSocket tunnels and SSE streams open to each backend from this gateway.',
    labelNames: ['backend', 'upstream'], registers,
    collect() {
      this.reset();
      for (const b of pool()?.allBackends() ?? []) this.set({ backend: b.name, upstream: b.upstream }, b.longLived.size);
    },
  });
}
