import { AdminOperationError } from '../errors.js';
import type { ControlPlane } from '../process/control-plane.js';
import type { AdminState, Backend } from '../pool/backend.js';
import type { AdminContext } from './admin-server.js';
import { backendsReport } from './backend-views.js';
import type { AdminRequest, RouteTable } from './route-table.js';

/**
 * GET /api/backends, POST /api/backends/{name}/drain | ready | maint (docs/architecture.md §8). State changes go through the
 * shared store (every gateway applies them within one sync interval). Refused with 409: taking out the last serving
 * backend of an upstream, making a `down` backend READY.
 */
export function registerBackendRoutes(routes: RouteTable, { gateway, log }: AdminContext): void {
  routes.get('/api/backends', async () => ({ json: await backendsReport(gateway) }));

  const change = (to: AdminState) => async (req: AdminRequest) => {
    const name = req.params.name!;
    const backends = backendsOf(gateway, name);
    const body = await req.json();
    const by = typeof body.by === 'string' && body.by !== '' ? body.by.slice(0, 100) : 'admin';
    const from = backends[0]!.adminState;
    if (to === 'READY' && backends.some((b) => b.settings.down)) {
      throw new AdminOperationError('SG_BACKEND_DOWN', `backend ${name} is marked "down" in the configuration; it stays in MAINT`);
    }
    if (to !== 'READY' && from === 'READY') refuseLastServing(gateway, backends);
    if (from === to || (to === 'DRAINING' && from === 'MAINT')) return { json: { name, state: from, changed: false } };
    const record = await gateway.coord.setState(name, to, by);
    log.info({ event: 'admin.state_change', backend: name, from, to, by, epoch: record.epoch }, `backend ${name}: ${from} → ${to} (by ${by})`);
    return { json: { name, state: record.state, epoch: record.epoch, changed: true } };
  };
  routes.post('/api/backends/:name/drain', change('DRAINING'));
  routes.post('/api/backends/:name/ready', change('READY'));
  routes.post('/api/backends/:name/maint', change('MAINT'));
}

function backendsOf(gateway: ControlPlane, name: string): Backend[] {
  const found = gateway.pool.backendsNamed(name);
  if (found.length === 0) {
    const known = [...new Set(gateway.pool.allBackends().map((b) => b.name))].join(', ');
    throw new AdminOperationError('SG_UNKNOWN_BACKEND', `no backend named ${name} (known: ${known})`, 404);
  }
  return found;
}

/** docs/architecture.md §7: never take a backend out when that would leave an upstream with none serving. */
function refuseLastServing(gateway: ControlPlane, backends: Backend[]): void {
  for (const backend of backends) {
    const upstream = gateway.pool.upstream(backend.upstream);
    if (upstream && upstream.othersServing(backend).length === 0) {
      throw new AdminOperationError('SG_LAST_SERVING_BACKEND', `refusing to take ${backend.name} out: it is the last serving backend of upstream "${backend.upstream}"`);
    }
  }
}
