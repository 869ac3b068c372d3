import { AdminOperationError } from '../errors.js';
import type { SessionCounters, SessionStats, SessionSummary } from '../session/store.js';
import type { AdminContext } from './admin-server.js';
import type { RouteTable } from './route-table.js';

/** One session as `GET /api/sessions` and `sessions list` show it (never the cookie id: `sid` is the JWT handle). */
export interface SessionView {
  sid: string;
  principal: string | null;
  /** Epoch milliseconds. */
  createdAt: number;
  lastAccessAt: number;
  /** Encoded size of the attributes, bytes. */
  size: number;
  /** The backend that last wrote the session. */
  backend: string | null;
}

export interface SessionStatsView extends SessionStats {
  store: 'memory' | 'redis';
  /** 'global': the counters are shared by every gateway on the Redis; 'process': this gateway only (memory store). */
  counterScope: 'global' | 'process';
  gatewayId: string;
  now: number;
  /** Rates since the previous stats request to this gateway (at least 1 s earlier); null on the first. */
  perSecond: { created: number; destroyed: number; expired: number; duplicateLogins: number; overSeconds: number } | null;
}

const viewOf = (s: SessionSummary): SessionView => ({
  sid: s.handle, principal: s.principal, createdAt: s.createdAt, lastAccessAt: s.lastAccessAt, size: s.size, backend: s.backend,
});

function principalOf(query: URLSearchParams): string {
  const principal = query.get('principal');
  if (principal === null || principal === '') throw new AdminOperationError('SG_ADMIN_BAD_REQUEST', 'the principal query parameter is required (?principal=P)', 400);
  return principal;
}

const destroyed = (c: SessionCounters): number => c.destroyedLogout + c.destroyedKill + c.destroyedEvicted;
const expired = (c: SessionCounters): number => c.expiredIdle + c.expiredAbsolute + c.expiredLapsed;

/**
 * Force logout and session numbers (docs/architecture.md §4, §8): the store is what changes, so a kill ends the session on every
 * gateway that shares it. `GET /api/sessions?principal=P`, `DELETE /api/sessions?principal=P`,
 * `GET /api/sessions/{sid}` (one session: what a load test checks its users against), `DELETE /api/sessions/{sid}`,
 * `GET /api/sessions/stats`.
 */
export function registerSessionRoutes(routes: RouteTable, { gateway, log }: AdminContext): void {
  const store = gateway.store;

  routes.get('/api/sessions', async (req) => {
    const principal = principalOf(req.query);
    const sessions = (await store.listByPrincipal(principal, Date.now())).map(viewOf);
    return { json: { principal, count: sessions.length, sessions } };
  });

  routes.delete('/api/sessions', async (req) => {
    const principal = principalOf(req.query);
    const killed = await store.destroyByPrincipal(principal, Date.now());
    for (const sid of killed) log.info({ event: 'session.destroyed', reason: 'kill', sid, principal }, 'session ended by an admin (force logout)');
    return { json: { principal, count: killed.length, killed } };
  });

  let previous: { at: number; counters: SessionCounters } | null = null;
  routes.get('/api/sessions/stats', async () => {
    const now = Date.now();
    const stats = await store.stats(now);
    let perSecond: SessionStatsView['perSecond'] = null;
    if (previous && now - previous.at >= 1_000) {
      const seconds = (now - previous.at) / 1000;
      const rate = (f: (c: SessionCounters) => number) => Math.max(0, f(stats.counters) - f(previous!.counters)) / seconds;
      perSecond = { created: rate((c) => c.created), destroyed: rate(destroyed), expired: rate(expired), duplicateLogins: rate((c) => c.duplicateLogins), overSeconds: seconds };
    }
    if (!previous || now - previous.at >= 1_000) previous = { at: now, counters: stats.counters };
    const view: SessionStatsView = { store: store.kind, counterScope: store.kind === 'redis' ? 'global' : 'process', gatewayId: gateway.coord.gatewayId, now, ...stats, perSecond };
    return { json: view };
  });

  // After /stats and (in mint-routes.ts) /minted, which would otherwise be taken for a sid.
  routes.get('/api/sessions/:sid', async (req) => {
    const sid = req.params.sid!;
    const session = await store.findByHandle(sid, Date.now());
    if (!session) throw new AdminOperationError('SG_SESSION_NOT_FOUND', `no live session with sid ${sid}`, 404);
    return { json: viewOf(session) };
  });

  routes.delete('/api/sessions/:sid', async (req) => {
    const sid = req.params.sid!;
    if (!(await store.destroyByHandle(sid))) throw new AdminOperationError('SG_SESSION_NOT_FOUND', `no live session with sid ${sid}`, 404);
    log.info({ event: 'session.destroyed', reason: 'kill', sid }, 'session ended by an admin (force logout)');
    return { json: { count: 1, killed: [sid] } };
  });
}
