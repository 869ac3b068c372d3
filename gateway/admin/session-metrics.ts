import { Counter, Gauge } from 'prom-client';
import type { SessionStats, SessionStore } from '../session/store.js';
import { metricsRegistry } from './metrics.js';

/**
 * Session numbers on /metrics, read from the store when scraped: with Redis they are global over every gateway
 * (scrape any one of them), with the memory store they are this process's. One store call per scrape.
 */

let boundStore: SessionStore | null = null;
let pending: { at: number; stats: Promise<SessionStats | null> } | null = null;

export function bindSessionMetrics(store: SessionStore): void {
  boundStore = store;
}

/** The collectors of one scrape share one store round trip. */
function currentStats(): Promise<SessionStats | null> {
  const now = Date.now();
  if (!boundStore) return Promise.resolve(null);
  if (pending && now - pending.at < 500) return pending.stats;
  const stats = boundStore.stats(now).catch(() => null);
  pending = { at: now, stats };
  return stats;
}

function storeCounter(name: string, help: string, pick: (s: SessionStats) => Array<[Record<string, string>, number]>, labelNames: string[] = []): void {
  new Counter({
    name, help, labelNames, registers: [metricsRegistry],
    async collect() {
      const stats = await currentStats();
      this.reset();
      if (stats) for (const [labels, value] of pick(stats)) this.inc(labels, value);
    },
  });
}

new Gauge({
  name: 'session_gateway_sessions_active',
  help: 'Live sessions in the store (deadline not passed).',
  registers: [metricsRegistry],
  async collect() {
    const stats = await currentStats();
    if (stats) this.set(stats.active);
  },
});

new Gauge({
  name: 'session_gateway_session_size_bytes',
  help: 'Cumulative distribution of live sessions by encoded size: sessions of at most `le` bytes.',
  labelNames: ['le'] as const,
  registers: [metricsRegistry],
  async collect() {
    const stats = await currentStats();
    this.reset();
    for (const b of stats?.sizeBuckets ?? []) this.set({ le: b.le === null ? '+Inf' : String(b.le) }, b.count);
  },
});

storeCounter('session_gateway_sessions_created_total', 'Sessions created.', (s) => [[{}, s.counters.created]]);
storeCounter('session_gateway_sessions_destroyed_total', 'Sessions ended before their time, by reason (logout, kill, evicted).', (s) => [
  [{ reason: 'logout' }, s.counters.destroyedLogout], [{ reason: 'kill' }, s.counters.destroyedKill], [{ reason: 'evicted' }, s.counters.destroyedEvicted],
], ['reason']);
storeCounter('session_gateway_sessions_expired_total', 'Sessions ended by a timeout, by reason (idle, absolute, lapsed).', (s) => [
  [{ reason: 'idle' }, s.counters.expiredIdle], [{ reason: 'absolute' }, s.counters.expiredAbsolute], [{ reason: 'lapsed' }, s.counters.expiredLapsed],
], ['reason']);
storeCounter('session_gateway_logins_total', 'Logins (X-Session-Login applied).', (s) => [[{}, s.counters.logins]]);
storeCounter('session_gateway_duplicate_logins_total', 'Logins of a principal already signed in elsewhere.', (s) => [[{}, s.counters.duplicateLogins]]);
storeCounter('session_gateway_logins_rejected_total', 'Logins refused by $session_on_limit reject-new.', (s) => [[{}, s.counters.loginRejected]]);
