import { performance } from 'node:perf_hooks';
import type { Counter } from 'prom-client';
import type { HotHistogram } from './hot-metrics.js';
import type {
  CommitRequest, CommitResult, LoadOptions, LoadResult, SessionStats, SessionStore, SessionSummary, SweepOptions, SweepResult,
} from '../session/store.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import type { SessionEventMetrics } from './session-metrics.js';

/**
 * A session store that times every operation into the store latency histogram and counts the session events this
 * gateway causes (docs/architecture.md §8). The composition root wraps the store it built in one; the wrapped store
 * keeps its own semantics — this only watches.
 */
export class TimedStore implements SessionStore {
  readonly kind: SessionStore['kind'];
  readonly placementOf?: (principal: string) => number | null;
  readonly #inner: SessionStore;
  readonly #duration: HotHistogram<'store' | 'operation'>;
  readonly #errors: Counter<'store' | 'operation'>;
  readonly #events: SessionEventMetrics;
  /** The histogram's label values of a load, made once: a load is timed on every request that has a cookie. */
  readonly #loadLabels: readonly string[];

  constructor(inner: SessionStore, metrics: GatewayMetrics) {
    this.#inner = inner;
    this.kind = inner.kind;
    if (inner.placementOf) this.placementOf = (principal) => inner.placementOf!(principal);
    this.#duration = metrics.storeDuration;
    this.#errors = metrics.storeErrors;
    this.#events = metrics.sessions;
    this.#loadLabels = [this.kind, 'load'];
  }

  /** #timed, written out: the request path's one store call gets no closure and one async layer, not two. */
  async load(key: string, options: LoadOptions): Promise<LoadResult> {
    const started = performance.now();
    let result: LoadResult;
    try {
      result = await this.#inner.load(key, options);
    } catch (err) {
      this.#errors.inc({ store: this.kind, operation: 'load' });
      throw err;
    } finally {
      this.#duration.record(this.#loadLabels, (performance.now() - started) / 1000);
    }
    if (!result.found && result.expired) this.#events.expired.inc({ reason: result.expired });
    return result;
  }

  async commit(request: CommitRequest): Promise<CommitResult> {
    const result = await this.#timed('commit', () => this.#inner.commit(request));
    const events = this.#events;
    if (!result.ok) {
      // Refused because the principal is signed in elsewhere: a duplicate login too, as the store counts it.
      if (result.code === 'SG_LOGIN_REJECTED') {
        events.loginsRejected.inc();
        events.duplicateLogins.inc();
      }
      return result;
    }
    if (result.created) events.created.inc();
    if (request.login) events.logins.inc();
    if (result.duplicateLogin) events.duplicateLogins.inc();
    if (result.evicted.length > 0) events.destroyed.inc({ reason: 'evicted' }, result.evicted.length);
    if (result.destroyed) events.destroyed.inc({ reason: 'logout' });
    if (result.unreplicated) events.unreplicatedCommits.inc();
    return result;
  }

  async destroyByHandle(handle: string): Promise<boolean> {
    const ended = await this.#timed('destroy_by_handle', () => this.#inner.destroyByHandle(handle));
    if (ended) this.#events.destroyed.inc({ reason: 'kill' });
    return ended;
  }

  async destroyByPrincipal(principal: string, now: number): Promise<string[]> {
    const ended = await this.#timed('destroy_by_principal', () => this.#inner.destroyByPrincipal(principal, now));
    if (ended.length > 0) this.#events.destroyed.inc({ reason: 'kill' }, ended.length);
    return ended;
  }

  listByPrincipal(principal: string, now: number): Promise<SessionSummary[]> {
    return this.#timed('list_by_principal', () => this.#inner.listByPrincipal(principal, now));
  }

  findByHandle(handle: string, now: number): Promise<SessionSummary | null> {
    return this.#timed('find_by_handle', () => this.#inner.findByHandle(handle, now));
  }

  async sweepExpired(now: number, options: SweepOptions): Promise<SweepResult> {
    const result = await this.#timed('sweep_expired', () => this.#inner.sweepExpired(now, options));
    if (result.swept) for (const s of result.expired) this.#events.expired.inc({ reason: s.reason });
    return result;
  }

  stats(now: number): Promise<SessionStats> {
    return this.#timed('stats', () => this.#inner.stats(now));
  }

  ping(): Promise<void> {
    return this.#timed('ping', () => this.#inner.ping());
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  async #timed<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await run();
    } catch (err) {
      this.#errors.inc({ store: this.kind, operation });
      throw err;
    } finally {
      this.#duration.record([this.kind, operation], (performance.now() - started) / 1000);
    }
  }
}
