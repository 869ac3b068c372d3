import type { Logger } from '../log.js';
import type { MetricJson } from '../admin/dashboard-history.js';
import { CoordSync, ownCounts, type BackendCounts, type CoordSyncOptions } from '../coord/coord-sync.js';
import type { CoordStore } from '../coord/coord-store.js';
import type { AdminState, Backend, HealthState } from '../pool/backend.js';
import { HealthChecker } from '../pool/health-checker.js';
import type { UpstreamPool } from '../pool/upstream-pool.js';
import { ExpirySweeper } from '../session/expiry-sweeper.js';
import type { SessionStore } from '../session/store.js';
import type { GatewayProcessReport } from './process-report.js';

export interface ControlPlaneOptions {
  pool: UpstreamPool;
  store: SessionStore;
  coord: CoordStore;
  log: Logger;
  clock?: () => number;
  coordOptions?: Pick<CoordSyncOptions, 'syncIntervalMs' | 'heartbeatTtlMs' | 'drain'>;
  sweepIntervalMs: number;
  /** This gateway's counts of a backend (default: the pool's own; a master sums its workers' reports). */
  counts?: (backend: Backend) => BackendCounts;
  appliedEpoch?: (own: number) => number;
  onAdminState?: (backend: Backend, from: AdminState, to: AdminState) => void;
  /** After each admin-state snapshot is applied, with the epoch reached. */
  onApplied?: (epoch: number) => void;
  onHealth?: (backend: Backend, from: HealthState, to: HealthState) => void;
  /** After every active health check, with its result (metrics). */
  onHealthCheck?: (backend: Backend, ok: boolean) => void;
  /** What GET /api/gateway reports about the processes. */
  processReport: () => GatewayProcessReport;
  /** GET /metrics' text when this process is not the only one counting (a master: its own and its workers'). */
  metricsText?: () => Promise<string>;
  /** The same as prom-client JSON (the dashboard history samples it); default: this process's registry. */
  metricsJson?: () => Promise<MetricJson[]>;
}

/**
 * What a gateway does once, whatever its number of workers (docs/architecture.md §12): it holds the shared admin state
 * (coord sync, heartbeats), runs the active health checks, sweeps expired sessions and answers the admin API. In one
 * process it works on the pool that proxies; in a master it works on a model of the pool (same backends, no traffic)
 * and its workers mirror the states it decides.
 */
export class ControlPlane {
  readonly store: SessionStore;
  readonly coord: CoordSync;
  readonly sweeper: ExpirySweeper;
  readonly processReport: () => GatewayProcessReport;
  readonly metricsText: (() => Promise<string>) | undefined;
  readonly metricsJson: (() => Promise<MetricJson[]>) | undefined;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #counts: (backend: Backend) => BackendCounts;
  readonly #onHealth: ControlPlaneOptions['onHealth'];
  readonly #onHealthCheck: ControlPlaneOptions['onHealthCheck'];
  #pool: UpstreamPool;
  #health: HealthChecker;
  #registered = false;

  constructor(options: ControlPlaneOptions) {
    this.store = options.store;
    this.#log = options.log;
    this.#clock = options.clock ?? Date.now;
    this.#pool = options.pool;
    this.#counts = options.counts ?? ownCounts;
    this.#onHealth = options.onHealth;
    this.#onHealthCheck = options.onHealthCheck;
    this.processReport = options.processReport;
    this.metricsText = options.metricsText;
    this.metricsJson = options.metricsJson;
    this.coord = new CoordSync({
      store: options.coord, pool: options.pool, log: options.log, ...options.coordOptions,
      counts: this.#counts, appliedEpoch: options.appliedEpoch, onTransition: options.onAdminState, onApplied: options.onApplied,
      ...(options.clock ? { clock: options.clock } : {}),
    });
    this.#health = this.#checker(options.pool);
    this.sweeper = new ExpirySweeper({ store: options.store, log: options.log, intervalMs: options.sweepIntervalMs, clock: options.clock });
  }

  get pool(): UpstreamPool {
    return this.#pool;
  }

  get health(): HealthChecker {
    return this.#health;
  }

  /** This gateway's in-flight and long-lived counts of one backend. */
  countsOf(backend: Backend): BackendCounts {
    return this.#counts(backend);
  }

  /**
   * Before any listener is up: the shared admin state (a restarted gateway must not route to a backend another one is
   * draining) and one round of health checks (each bounded by its timeout; UNKNOWN serves). Registers nothing.
   */
  async prepare(): Promise<void> {
    await this.coord.load();
    await this.#health.start();
  }

  /** Every listener is up: become a live member of the fleet (heartbeats) and sweep expired sessions. */
  async register(): Promise<void> {
    await this.coord.start();
    this.sweeper.start();
    this.#registered = true;
  }

  /** Every listener of the gateway is up and it counts as a live member of the fleet (/healthz says 200 from then). */
  get registered(): boolean {
    return this.#registered;
  }

  /**
   * A reload's pool: backends that stay keep their admin state and their health record (no spurious drain, no
   * second rise); new ones start UNKNOWN and get their first check now.
   */
  async replacePool(pool: UpstreamPool): Promise<void> {
    const before = new Map(this.#pool.allBackends().map((b) => [`${b.upstream}/${b.name}`, b]));
    for (const backend of pool.allBackends()) {
      const old = before.get(`${backend.upstream}/${backend.name}`);
      if (!old) continue;
      backend.health = old.health;
      Object.assign(backend.checks, old.checks);
      backend.slowStartSince = old.slowStartSince;
    }
    await this.#health.stop();
    this.coord.replacePool(pool);
    this.#pool = pool;
    this.#health = this.#checker(pool);
    await this.#health.start();
  }

  async stop(): Promise<void> {
    await this.coord.stop();
    await this.coord.store.close();
    await this.#health.stop();
    await this.sweeper.stop();
  }

  #checker(pool: UpstreamPool): HealthChecker {
    return new HealthChecker(pool, {
      log: this.#log, clock: this.#clock, ...(this.#onHealth ? { onChange: this.#onHealth } : {}), ...(this.#onHealthCheck ? { onCheck: this.#onHealthCheck } : {}),
    });
  }
}
