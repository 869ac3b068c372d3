import { AggregatorRegistry, type Registry } from 'prom-client';
import { CLUSTER_METRICS } from '../observability/session-metrics.js';
import type { MetricsSnapshot } from '../observability/worker-metrics.js';
import type { WorkerMessage } from './ipc-messages.js';
import type { WorkerPool } from './worker-pool.js';

type MetricsJson = MetricsSnapshot;

/** Metrics the master decides for the whole gateway: a worker's copy (its mirror) would be counted N times. */
const MASTER_ONLY: ReadonlySet<string> = new Set(['session_gateway_backend_state', ...CLUSTER_METRICS]);

/** A worker that does not answer a scrape within this long is left out of it (it is starting or stopping). */
const SCRAPE_TIMEOUT_MS = 1_000;

/**
 * GET /metrics on a master (docs/architecture.md §12): its own registry (backend states, sessions, the store)
 * and every worker's (requests, upstream failures, in-flight counts), asked over IPC at scrape time and summed
 * with prom-client's AggregatorRegistry (each metric's own aggregator: counters add up).
 */
export class WorkerMetrics {
  readonly #pool: WorkerPool;
  readonly #own: (storeWide: boolean) => Promise<MetricsJson>;
  readonly #pending = new Map<number, (json: MetricsJson) => void>();
  #next = 1;

  /** `own`: the master's registry (observability/gateway-metrics.ts), read at each scrape. */
  constructor(pool: WorkerPool, own: (storeWide: boolean) => Promise<MetricsJson>) {
    this.#pool = pool;
    this.#own = own;
  }

  async text(): Promise<string> {
    return (await this.#merged(true)).metrics();
  }

  /** The same as prom-client's JSON, without the store-wide numbers (what the dashboard's history samples). */
  async json(): Promise<MetricsJson> {
    return (await this.#merged(false)).getMetricsAsJSON();
  }

  async #merged(storeWide: boolean): Promise<Registry> {
    const asked = this.#pool.workers((w) => w.state === 'serving' || w.state === 'stopping').map((entry) => new Promise<MetricsJson | null>((resolve) => {
      const id = this.#next++;
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve(null);
      }, SCRAPE_TIMEOUT_MS);
      this.#pending.set(id, (json) => {
        clearTimeout(timer);
        resolve(json);
      });
      this.#pool.send(entry, { sg: 'metrics-req', id });
    }));
    const fromWorkers = (await Promise.all(asked)).filter((j): j is MetricsJson => j !== null);
    const own = await this.#own(storeWide);
    return AggregatorRegistry.aggregate([own, ...fromWorkers.map((list) => list.filter((m) => !MASTER_ONLY.has(m.name)))]);
  }

  /** A worker's answer to a scrape. */
  answered(m: Extract<WorkerMessage, { sg: 'metrics' }>): void {
    const settle = this.#pending.get(m.id);
    this.#pending.delete(m.id);
    settle?.(m.json as MetricsJson);
  }
}
