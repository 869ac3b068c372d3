import type { AdminContext } from './admin-server.js';
import { registerBackendRoutes } from './backend-routes.js';
import { registerMintRoutes } from './mint-routes.js';
import { registerOpsRoutes } from './ops-routes.js';
import { registerProcessRoutes } from './process-routes.js';
import { registerRolloutRoutes } from './rollout-routes.js';
import { registerSessionRoutes } from './session-routes.js';
import type { RouteTable } from './route-table.js';

/** A concern's admin routes, registered from its own file: `(routes, ctx) => { routes.get('/api/x', handler) }`. */
export type AdminRouteRegistrar = (routes: RouteTable, ctx: AdminContext) => void;

/**
 * Every admin route comes from one of these. To add routes (e.g. `GET/DELETE /api/sessions…` from
 * session-routes.ts), import the registrar and append it here; nothing else needs to change.
 */
export const adminRouteRegistrars: AdminRouteRegistrar[] = [
  registerBackendRoutes,
  registerRolloutRoutes,
  registerOpsRoutes,
  registerProcessRoutes,
  // Before the session routes: DELETE /api/sessions/minted must not be taken for DELETE /api/sessions/:sid.
  registerMintRoutes,
  registerSessionRoutes,
];
