import { Counter, Gauge, type Registry } from 'prom-client';
import { hostname } from 'node:os';
import type { SessionStats, SessionStore } from '../session/store.js';

/**
 * Session numbers on /metrics (docs/architecture.md §8), in two kinds so that sums over gateways are right:
 * - events this gateway caused (created, logins, logouts, kills, evictions, expiries it swept), counted as they
 *   happen: `sum()` over every gateway is the fleet's total;
 * - the store's own view (`session_gateway_cluster_*`, label `store`): the same number on every gateway that shares
 *   the store, read from it when scraped. Aggregate these with `max by (store)`, never `sum`.
 */

/** The store-wide metrics: one process per gateway exports them (a master, not each of its workers). */
export const CLUSTER_METRICS: readonly string[] = [
  'session_gateway_cluster_sessions', 'session_gateway_cluster_sessions_pending_expiry', 'session_gateway_cluster_sessions_by_size',
  'session_gateway_cluster_session_events_total',
];

/** A store and the label that names it (no credentials): `redis://host:port/db`, or `memory:<host>:<pid>`. */
export interface ClusterStoreSource {
  store: SessionStore;
  id: string;
}

/** Counters of the session events this gateway caused (timed-store.ts feeds them). */
export class SessionEventMetrics {
  readonly created: Counter;
  readonly logins: Counter;
  readonly duplicateLogins: Counter;
  readonly loginsRejected: Counter;
  readonly destroyed: Counter<'reason'>;
  readonly expired: Counter<'reason'>;
  readonly unreplicatedCommits: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.created = new Counter({ name: 'session_gateway_sessions_created_total', help: 'Sessions this gateway created.', registers });
    this.logins = new Counter({ name: 'session_gateway_logins_total', help: 'Logins (X-Session-Login) this gateway applied.', registers });
    this.duplicateLogins = new Counter({ name: 'session_gateway_duplicate_logins_total', help: 'Logins this gateway applied for a principal already signed in elsewhere.', registers });
    this.loginsRejected = new Counter({ name: 'session_gateway_logins_rejected_total', help: 'Logins this gateway refused by $session_on_limit reject-new.', registers });
    this.destroyed = new Counter({ name: 'session_gateway_sessions_destroyed_total', help: 'Sessions this gateway ended before their time, by reason (logout, kill, evicted).', labelNames: ['reason'], registers });
    this.expired = new Counter({ name: 'session_gateway_sessions_expired_total', help: 'Sessions this gateway found timed out or swept, by reason (idle, absolute).', labelNames: ['reason'], registers });
    this.unreplicatedCommits = new Counter({ name: 'session_gateway_commits_unreplicated_total', help: 'Commits this gateway answered with fewer replica acknowledgements than $session_wait_replicas within $session_wait_timeout.', registers });
  }
}

/** The store-wide gauges and counters, one store round trip per scrape. */
export function registerClusterSessionMetrics(registry: Registry, source: () => ClusterStoreSource | null): void {
  const registers = [registry];
  let pending: { at: number; stats: Promise<SessionStats | null> } | null = null;
  // The collectors of one scrape share one store call; a store that fails leaves these out of the scrape.
  const stats = (): Promise<SessionStats | null> => {
    const s = source();
    if (!s) return Promise.resolve(null);
    const now = Date.now();
    if (pending && now - pending.at < 500) return pending.stats;
    pending = { at: now, stats: s.store.stats(now).catch(() => null) };
    return pending.stats;
  };
  const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge, s: SessionStats, store: string) => void): void => {
    // Every worker of a gateway reads the same store: a master keeps one copy, not the sum.
    new Gauge({
      name, help, labelNames: ['store', ...labelNames], registers, aggregator: 'max',
      async collect() {
        const current = await stats();
        this.reset();
        const s = source();
        if (current && s) fill(this, current, s.id);
      },
    });
  };
  gauge('session_gateway_cluster_sessions', 'Live sessions in the store (deadline not passed), store-wide: the same on every gateway sharing it.', [],
    (g, s, store) => g.set({ store }, s.active));
  gauge('session_gateway_cluster_sessions_pending_expiry', 'Sessions past their deadline not swept yet, store-wide.', [],
    (g, s, store) => g.set({ store }, s.pendingExpiry));
  gauge('session_gateway_cluster_sessions_by_size', 'Live sessions by encoded size range (bytes, upper bound of the range; "inf" for the rest), store-wide. Not cumulative.', ['size_max_bytes'],
    (g, s, store) => {
      let below = 0;
      for (const b of s.sizeBuckets) {
        g.set({ store, size_max_bytes: b.le === null ? 'inf' : String(b.le) }, b.count - below);
        below = b.count;
      }
    });
  new Counter({
    name: 'session_gateway_cluster_session_events_total', help: 'The store\'s own event counts (every gateway\'s, and expiries no gateway saw: lapsed), store-wide: the same on every gateway sharing it.',
    labelNames: ['store', 'event'], registers, aggregator: 'max',
    async collect() {
      const current = await stats();
      this.reset();
      const s = source();
      if (!current || !s) return;
      for (const [event, value] of Object.entries(current.counters)) this.inc({ store: s.id, event: snakeCase(event) }, value);
    },
  });
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The `store` label: the Redis URL without credentials or options, or this process's embedded store. */
export function storeLabel(redisUrl: string | null): string {
  if (redisUrl === null) return `memory:${hostname()}:${process.pid}`;
  try {
    const url = new URL(redisUrl);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return 'redis';
  }
}
