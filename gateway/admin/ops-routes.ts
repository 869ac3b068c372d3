import type { AdminContext } from './admin-server.js';
import type { RouteTable } from './route-table.js';

/** GET /healthz (public: for a process supervisor), GET /metrics (Prometheus). The dashboard is static-routes.ts. */
export function registerOpsRoutes(routes: RouteTable, { gateway, metrics }: AdminContext): void {
  routes.get('/healthz', async () => {
    const serving = gateway.pool.allBackends().filter((b) => b.isServing()).length;
    // The admin API binds before the proxy listeners (a clash fails fast): not healthy until they are all up.
    if (!gateway.registered) return { status: 503, json: { status: 'starting', store: gateway.store.kind, servingBackends: serving } };
    try {
      await gateway.store.ping();
      return { json: { status: 'ok', store: gateway.store.kind, servingBackends: serving } };
    } catch (err) {
      return { status: 503, json: { status: 'store-unavailable', store: gateway.store.kind, error: (err as Error).message, servingBackends: serving } };
    }
  }, { public: true });
  routes.get('/metrics', async () => ({ text: await (gateway.metricsText?.() ?? metrics.metrics()), contentType: metrics.contentType }), { scrape: true });
}
