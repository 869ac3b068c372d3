import type { AdminContext } from './admin-server.js';
import type { RouteTable } from './route-table.js';

/**
 * GET /api/gateway (docs/architecture.md §12): the gateway's processes — master or single, its workers, the
 * configuration generation serving and how the last reload went (what `session-gateway status` prints on top).
 */
export function registerProcessRoutes(routes: RouteTable, { gateway }: AdminContext): void {
  routes.get('/api/gateway', () => ({ json: gateway.processReport() }));
}
