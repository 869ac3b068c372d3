import { AdminOperationError } from '../errors.js';
import type { AdminContext } from './admin-server.js';
import type { RouteTable } from './route-table.js';

const MAX_TTL_MS = 10 * 60_000;

/**
 * The rollout lock (docs/architecture.md §7: one rollout at a time), kept in the shared store with a TTL and an owner token, so
 * two `rolling-restart` runs are refused whichever gateway each talks to. A crashed rollout's lock expires.
 *   POST /api/rollout/lock {owner, ttlMs}   → 200 | 409 SG_ROLLOUT_LOCKED {holder}
 *   POST /api/rollout/lock/renew {owner, ttlMs} → 200 | 409 SG_ROLLOUT_LOCK_LOST
 *   DELETE /api/rollout/lock?owner=O        GET /api/rollout/lock → {holder}
 */
export function registerRolloutRoutes(routes: RouteTable, { gateway, log }: AdminContext): void {
  const store = gateway.coord.store;
  const parse = async (body: Record<string, unknown>) => {
    const owner = body.owner;
    const ttlMs = body.ttlMs ?? 30_000;
    if (typeof owner !== 'string' || owner === '' || owner.length > 200) throw new AdminOperationError('SG_ADMIN_BAD_REQUEST', 'owner must be a non-empty string', 400);
    if (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs < 1_000 || ttlMs > MAX_TTL_MS) throw new AdminOperationError('SG_ADMIN_BAD_REQUEST', `ttlMs must be an integer 1000..${MAX_TTL_MS}`, 400);
    return { owner, ttlMs };
  };
  routes.get('/api/rollout/lock', async () => ({ json: { holder: await store.lockHolder() } }));
  routes.post('/api/rollout/lock', async (req) => {
    const { owner, ttlMs } = await parse(await req.json());
    const result = await store.acquireLock(owner, ttlMs);
    if (!result.acquired) throw new AdminOperationError('SG_ROLLOUT_LOCKED', `another rollout is running (lock held by ${result.holder})`);
    log.info({ event: 'rollout.locked', owner, ttlMs }, `rollout lock taken by ${owner}`);
    return { json: { acquired: true, owner, ttlMs } };
  });
  routes.post('/api/rollout/lock/renew', async (req) => {
    const { owner, ttlMs } = await parse(await req.json());
    if (!(await store.renewLock(owner, ttlMs))) throw new AdminOperationError('SG_ROLLOUT_LOCK_LOST', `the rollout lock is no longer held by ${owner}`);
    return { json: { renewed: true } };
  });
  routes.delete('/api/rollout/lock', async (req) => {
    const owner = req.query.get('owner') ?? '';
    const released = await store.releaseLock(owner);
    if (released) log.info({ event: 'rollout.unlocked', owner }, `rollout lock released by ${owner}`);
    return { json: { released } };
  });
}
