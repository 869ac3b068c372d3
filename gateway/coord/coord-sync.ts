import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import type { AdminState, Backend } from '../pool/backend.js';
import { applyAdminState, type DrainOptions } from '../pool/drain.js';
import type { UpstreamPool } from '../pool/upstream-pool.js';
import type { AdminSnapshot, BackendAdminRecord, BackendReport, CoordStore, Heartbeat } from './coord-store.js';

export interface CoordSyncOptions {
  store: CoordStore;
  pool: UpstreamPool;
  log: Logger;
  /** Re-read the shared state and publish a heartbeat this often (docs/architecture.md §7: 1–2 s). */
  syncIntervalMs?: number;
  /** A heartbeat not renewed within this long drops its gateway out of every count. */
  heartbeatTtlMs?: number;
  drain?: Partial<DrainOptions>;
  clock?: () => number;
  /** This gateway's id in the heartbeats (kept across a reload); default: a new random one. */
  gatewayId?: string;
  /** This gateway's counts of a backend; default: the pool's own (a master sums its workers' reports instead). */
  counts?: (backend: Backend) => BackendCounts;
  /** The admin-state epoch every part of this gateway has applied (a master: the lowest of its workers'). */
  appliedEpoch?: (own: number) => number;
  /** Called after a backend's admin state changed here (a master passes it on to its workers). */
  onTransition?: (backend: Backend, from: AdminState, to: AdminState) => void;
  /** Called after every snapshot is applied, with the epoch this gateway is now at (after any onTransition calls). */
  onApplied?: (epoch: number) => void;
}

export interface BackendCounts {
  inFlight: number;
  longLived: number;
}

/** The counts a pool's backend holds itself (requests proxied by this process). */
export const ownCounts = (backend: Backend): BackendCounts => ({ inFlight: backend.inFlight, longLived: backend.longLived.size });

export const COORD_DEFAULTS = { syncIntervalMs: 1_000, heartbeatTtlMs: 5_000, drain: { sseGraceMs: 5_000 } };

/**
 * Keeps this gateway's backends in the shared admin state: loads it before the gateway listens, re-reads it every
 * sync interval (and at once on a pub/sub hint), runs the local side of a drain when a backend leaves READY, and
 * publishes a heartbeat with this gateway's in-flight and long-lived counts per backend and the epoch it applied.
 */
export class CoordSync {
  readonly gatewayId: string;
  readonly store: CoordStore;
  #pool: UpstreamPool;
  readonly #counts: (backend: Backend) => BackendCounts;
  readonly #appliedEpoch: (own: number) => number;
  readonly #onTransition: CoordSyncOptions['onTransition'];
  readonly #onApplied: CoordSyncOptions['onApplied'];
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #syncIntervalMs: number;
  readonly heartbeatTtlMs: number;
  readonly #drain: DrainOptions;
  #epoch = 0;
  #records: Record<string, BackendAdminRecord> = {};
  #timer: NodeJS.Timeout | null = null;
  #syncing: Promise<void> | null = null;
  #again = false;
  #failing = false;
  #stopped = false;
  #loaded = false;

  constructor(options: CoordSyncOptions) {
    this.gatewayId = options.gatewayId ?? randomUUID();
    this.store = options.store;
    this.#pool = options.pool;
    this.#counts = options.counts ?? ownCounts;
    this.#appliedEpoch = options.appliedEpoch ?? ((own) => own);
    this.#onTransition = options.onTransition;
    this.#onApplied = options.onApplied;
    this.#log = options.log;
    this.#clock = options.clock ?? Date.now;
    this.#syncIntervalMs = options.syncIntervalMs ?? COORD_DEFAULTS.syncIntervalMs;
    this.heartbeatTtlMs = options.heartbeatTtlMs ?? COORD_DEFAULTS.heartbeatTtlMs;
    this.#drain = { log: options.log, sseGraceMs: options.drain?.sseGraceMs ?? COORD_DEFAULTS.drain.sseGraceMs };
  }

  get epoch(): number {
    return this.#epoch;
  }

  record(name: string): BackendAdminRecord | undefined {
    return this.#records[name];
  }

  /**
   * Read the shared state and apply it, without registering anything (before listening: a restarted gateway must not
   * route to a backend being drained, and must not count as a live gateway before its listeners are up).
   */
  async load(): Promise<void> {
    this.#apply(await this.store.load());
    this.#loaded = true;
  }

  /** Register: publish the first heartbeat, then keep the state and the heartbeat fresh. */
  async start(): Promise<void> {
    if (!this.#loaded) await this.load();
    await this.#publish().catch(() => {});
    this.store.onChange(() => this.syncNow());
    this.#timer = setInterval(() => this.syncNow(), this.#syncIntervalMs);
    this.#timer.unref();
  }

  /** Re-read now (coalesced: a sync already running is followed by one more). */
  syncNow(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#syncing) {
      this.#again = true;
      return this.#syncing;
    }
    this.#syncing = (async () => {
      do {
        this.#again = false;
        await this.#syncOnce();
      } while (this.#again && !this.#stopped);
    })().finally(() => {
      this.#syncing = null;
    });
    return this.#syncing;
  }

  async #syncOnce(): Promise<void> {
    try {
      this.#apply(await this.store.load());
      await this.#publish();
      if (this.#failing) this.#log.info({ event: 'coord.restored' }, 'admin-state sync restored');
      this.#failing = false;
    } catch (err) {
      if (!this.#failing) this.#log.warn({ event: 'coord.sync_failed', err: (err as Error).message }, 'admin-state sync failed; keeping the last known state');
      this.#failing = true;
    }
  }

  /** Change a backend's state in the shared store and apply it here at once. */
  async setState(name: string, state: AdminState, by: string): Promise<BackendAdminRecord> {
    const record = await this.store.setState(name, state, by);
    await this.syncNow();
    return record;
  }

  /**
   * A reload's new pool: backends that stay keep the admin state they had (no transition, no second drain); new
   * ones take theirs from the last snapshot at once.
   */
  replacePool(pool: UpstreamPool): void {
    const before = new Map(this.#pool.allBackends().map((b) => [b.name, b.adminState]));
    for (const backend of pool.allBackends()) {
      const state = before.get(backend.name);
      if (state !== undefined && !backend.settings.down) backend.adminState = state;
    }
    this.#pool = pool;
    this.#apply({ epoch: this.#epoch, backends: this.#records });
  }

  #apply(snapshot: AdminSnapshot): void {
    this.#records = snapshot.backends;
    const now = this.#clock();
    for (const backend of this.#pool.allBackends()) {
      const record = snapshot.backends[backend.name];
      // `down` in the config is MAINT for good, whatever the store says.
      const wanted: AdminState = backend.settings.down ? 'MAINT' : (record?.state ?? 'READY');
      this.#transition(backend, wanted, now);
    }
    this.#epoch = Math.max(this.#epoch, snapshot.epoch);
    this.#onApplied?.(this.#epoch);
  }

  #transition(backend: Backend, to: AdminState, now: number): void {
    const from = backend.adminState;
    if (from === to) return;
    this.#log.info({ event: 'backend.admin_state', backend: backend.name, upstream: backend.upstream, from, to }, `backend ${backend.name}: ${from} → ${to}`);
    applyAdminState(backend, to, now, this.#drain);
    this.#onTransition?.(backend, from, to);
  }

  /** This gateway's counts per backend NAME (a name in two upstreams is summed). */
  reports(): Record<string, BackendReport> {
    const out: Record<string, BackendReport> = {};
    for (const upstream of this.#pool.upstreams()) {
      for (const b of upstream.backends) {
        const prior = out[b.name];
        const counts = this.#counts(b);
        const report: BackendReport = {
          inFlight: counts.inFlight + (prior?.inFlight ?? 0),
          longLived: counts.longLived + (prior?.longLived ?? 0),
          health: prior && prior.health !== 'HEALTHY' ? prior.health : b.health,
          checkSeq: Math.min(b.checks.checkSeq, prior?.checkSeq ?? Number.POSITIVE_INFINITY),
          okStreak: Math.min(b.checks.okStreak, prior?.okStreak ?? Number.POSITIVE_INFINITY),
          rise: Math.max(upstream.settings.health.rise, prior?.rise ?? 0),
        };
        out[b.name] = report;
      }
    }
    return out;
  }

  heartbeat(): Heartbeat {
    return { gatewayId: this.gatewayId, epoch: this.#appliedEpoch(this.#epoch), at: this.#clock(), backends: this.reports() };
  }

  async #publish(): Promise<void> {
    await this.store.publishHeartbeat(this.heartbeat(), this.heartbeatTtlMs);
  }

  /** Every live gateway's heartbeat, this gateway's taken fresh rather than from the store. */
  async liveHeartbeats(): Promise<Heartbeat[]> {
    const stored = await this.store.heartbeats();
    return [this.heartbeat(), ...stored.filter((h) => h.gatewayId !== this.gatewayId)];
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#syncing?.catch(() => {});
    await this.store.removeHeartbeat(this.gatewayId).catch(() => {});
  }
}
