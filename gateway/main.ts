import type { Socket } from 'node:net';
import { AccessControl } from './access/access-control.js';
import { userFilesOf } from './access/user-files-of.js';
import type { EnvSettings } from './config/env.js';
import { defaults, type GatewaySettings } from './config/settings.js';
import { ListenError } from './errors.js';
import type { Logger } from './log.js';
import { AdminServer, type AdminServerOptions } from './admin/admin-server.js';
import type { CoordSyncOptions } from './coord/coord-sync.js';
import type { CoordStore } from './coord/coord-store.js';
import { createCoordStore } from './coord/coord-factory.js';
import { AccessLog } from './observability/access-log.js';
import { GatewayMetrics } from './observability/gateway-metrics.js';
import { RequestObserver } from './observability/request-observer.js';
import { storeLabel } from './observability/session-metrics.js';
import { TimedStore } from './observability/timed-store.js';
import { CLOSE_SERVICE_RESTART } from './pool/drain.js';
import { UpstreamPool } from './pool/upstream-pool.js';
import { ControlPlane, type ControlPlaneOptions } from './process/control-plane.js';
import type { GatewayProcessReport } from './process/process-report.js';
import { ProxyListener } from './proxy/proxy-listener.js';
import { RequestHandler } from './proxy/request-handler.js';
import { UpgradeHandler } from './proxy/upgrade.js';
import { SessionService } from './session/session-service.js';
import { SessionMinter } from './session/session-minter.js';
import { createSessionStore, sessionStoreOptions } from './session/store-factory.js';
import type { SessionStore } from './session/store.js';
import { gatewayVersion } from './version.js';

/**
 * Who decides the admin state and health of this process's backends: a ControlPlane here (one process), or, in a
 * worker, a mirror of what the master decides (process/backend-mirror.ts).
 */
export interface BackendControl {
  /** Before any listener is up: the states are known, nothing is registered anywhere. */
  prepare(): Promise<void>;
  /** Every listener is up. */
  register(): Promise<void>;
  stop(): Promise<void>;
}

/** What createGateway builds itself unless given: a worker passes its own store and control; tests pass clocks. */
export interface GatewayParts {
  /** Default: REDIS_URL's store, else the embedded one. The gateway owns it and closes it. */
  store?: SessionStore;
  /** Shared admin state of a local control plane; default: Redis on REDIS_URL, else this process only. */
  coord?: CoordStore;
  /** Default: a control plane in this process, over this process's pool. */
  control?: (pool: UpstreamPool) => BackendControl;
  /** Serve the admin API on ADMIN_LISTEN; default: when the control plane is local. */
  admin?: boolean;
  clock?: () => number;
  coordOptions?: Pick<CoordSyncOptions, 'syncIntervalMs' | 'heartbeatTtlMs' | 'drain'>;
  /** Default: SESSION_SWEEP_INTERVAL_MS. */
  sweepIntervalMs?: number;
  /** What GET /api/gateway reports; default: this one process, generation 1. */
  processReport?: () => GatewayProcessReport;
  /** This process's metrics registry (docs/architecture.md §8); default: a new one. */
  metrics?: GatewayMetrics;
  /** Export the store-wide session numbers; default true (a worker leaves them to its master). */
  clusterMetrics?: boolean;
}

/**
 * The composition root (docs/architecture.md §10, §12), the one place that wires config → proxy → session → pool →
 * admin. `session-gateway start` runs it once per worker (or once, with `master_process off`); tests run it in-process.
 */
export async function createGateway(settings: GatewaySettings, env: EnvSettings, log: Logger, parts: GatewayParts = {}): Promise<Gateway> {
  const metrics = parts.metrics ?? new GatewayMetrics();
  const ownStore = parts.store ?? (await createSessionStore(sessionStoreOptions(env, log)));
  // Everything but the gateway's own close goes through the timing wrapper (store latency, session events).
  const store = new TimedStore(ownStore, metrics);
  const pool = poolFor(settings);
  let plane: ControlPlane | null = null;
  try {
    let control: BackendControl;
    if (parts.control) control = parts.control(pool);
    else {
      const startedAt = Date.now();
      control = plane = new ControlPlane({
        pool, store, log, coord: parts.coord ?? (await createCoordStore(env.redisUrl, log)),
        sweepIntervalMs: parts.sweepIntervalMs ?? env.sweepIntervalMs, coordOptions: parts.coordOptions,
        ...(parts.clock ? { clock: parts.clock } : {}),
        processReport: parts.processReport ?? (() => singleProcessReport(settings, startedAt)),
        onHealthCheck: healthCheckCounter(metrics),
      });
    }
    const report = plane?.processReport ?? parts.processReport;
    metrics.watch({
      pool: () => plane?.pool ?? pool,
      store: () => (parts.clusterMetrics === false ? null : { store, id: storeLabel(env.redisUrl) }),
      generation: () => report?.().generation ?? 1,
    });
    const sessions = new SessionService({ store, secrets: env.sessionSecrets, headerKey: env.headerKey, clock: parts.clock });
    const minter = new SessionMinter({ sessions, settings: () => settings, enabled: env.adminToken !== null });
    const admin = plane && parts.admin !== false ? new AdminServer({ gateway: plane, minter, log, metrics }, adminOptions(env)) : null;
    // Opened before anything listens: a file that cannot be written stops start-up (SG_ACCESS_LOG_OPEN_FAILED).
    const accessLog = new AccessLog(settings, log, metrics);
    const observer = new RequestObserver(metrics, accessLog);
    return new Gateway({ settings, store: ownStore, pool, sessions, control, plane, admin, log, metrics, observer, accessLog });
  } catch (err) {
    await plane?.stop().catch(() => {});
    await pool.close().catch(() => {});
    await ownStore.close().catch(() => {});
    throw err;
  }
}

/** What a master gives its control plane: its workers' sums, and where to pass the states it decides. */
export type MasterHooks = Pick<ControlPlaneOptions, 'counts' | 'appliedEpoch' | 'onApplied' | 'onHealth' | 'processReport' | 'metricsText' | 'metricsJson'> & {
  /** The serving generation's settings (a reload changes them). */
  settings: () => GatewaySettings;
};

/** The once-per-gateway half a master runs: nothing in it proxies. */
export interface MasterControl {
  /** The store itself: the workers' store calls (store-server.ts) reach it unwrapped, their own metrics count them. */
  store: SessionStore;
  plane: ControlPlane;
  admin: AdminServer;
  /** The master's own metrics: backend states, health checks, the store-wide numbers, the admin API's store calls. */
  metrics: GatewayMetrics;
}

/**
 * The master's half of the composition root (docs/architecture.md §12): the session store (the embedded one lives
 * here and its workers reach it over IPC), a model of the pool (same backends, no traffic) under one control plane
 * (shared admin state, heartbeats, health checks, the expiry sweep) and the admin API — each once per gateway,
 * however many workers proxy.
 */
export async function createMasterControl(settings: GatewaySettings, env: EnvSettings, log: Logger, hooks: MasterHooks): Promise<MasterControl> {
  const store = await createSessionStore(sessionStoreOptions(env, log));
  const metrics = new GatewayMetrics();
  const timed = new TimedStore(store, metrics);
  let plane: ControlPlane | null = null;
  try {
    plane = new ControlPlane({
      pool: poolFor(settings), store: timed, log, onHealthCheck: healthCheckCounter(metrics), coord: await createCoordStore(env.redisUrl, log), sweepIntervalMs: env.sweepIntervalMs,
      counts: hooks.counts, appliedEpoch: hooks.appliedEpoch, onApplied: hooks.onApplied, onHealth: hooks.onHealth, processReport: hooks.processReport,
      metricsText: hooks.metricsText,
      metricsJson: hooks.metricsJson,
    });
    const control = plane;
    metrics.watch({ pool: () => control.pool, store: () => ({ store, id: storeLabel(env.redisUrl) }), generation: () => hooks.processReport().generation });
    const sessions = new SessionService({ store: timed, secrets: env.sessionSecrets, headerKey: env.headerKey });
    const minter = new SessionMinter({ sessions, settings: hooks.settings, enabled: env.adminToken !== null });
    const admin = new AdminServer({ gateway: plane, minter, log, metrics }, adminOptions(env));
    return { store, plane, admin, metrics };
  } catch (err) {
    await plane?.stop().catch(() => {});
    await store.close().catch(() => {});
    throw err;
  }
}

function adminOptions(env: EnvSettings): AdminServerOptions {
  return {
    host: env.adminListen.host, port: env.adminListen.port, token: env.adminToken, allowedHosts: env.adminAllowedHosts,
    metricsToken: env.metricsToken, metricsFromLoopback: env.metricsFromLoopback,
  };
}

function healthCheckCounter(metrics: GatewayMetrics): NonNullable<ControlPlaneOptions['onHealthCheck']> {
  return (b, ok) => metrics.healthChecks.inc({ upstream: b.upstream, backend: b.name, result: ok ? 'success' : 'failure' });
}

/** The backends of a configuration, with their connection pools sized for its largest connect timeout. */
export function poolFor(settings: GatewaySettings): UpstreamPool {
  return new UpstreamPool(settings, { connectTimeoutMs: largestConnectTimeout(settings) });
}

interface GatewayWiring {
  settings: GatewaySettings;
  store: SessionStore;
  pool: UpstreamPool;
  sessions: SessionService;
  control: BackendControl;
  plane: ControlPlane | null;
  admin: AdminServer | null;
  log: Logger;
  metrics: GatewayMetrics;
  observer: RequestObserver;
  accessLog: AccessLog;
}

/** What a graceful close finished and what it had to cut at the deadline. */
export interface CloseReport {
  /** Requests still unanswered when the grace ran out (their connections were cut). */
  cut: number;
  tookMs: number;
}

/** A wired gateway: listen() brings it up in a safe order; close() takes it down without dropping what it accepted. */
export class Gateway {
  readonly settings: GatewaySettings;
  readonly store: SessionStore;
  readonly pool: UpstreamPool;
  readonly sessions: SessionService;
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
  /** The control plane when this process runs it (null in a worker). */
  readonly plane: ControlPlane | null;
  readonly #control: BackendControl;
  readonly #admin: AdminServer | null;
  readonly #accessLog: AccessLog;
  readonly #listeners: ProxyListener[] = [];
  #closing: Promise<CloseReport> | null = null;
  #endGrace: (() => void) | null = null;

  constructor(w: GatewayWiring) {
    this.settings = w.settings;
    this.store = w.store;
    this.pool = w.pool;
    this.sessions = w.sessions;
    this.log = w.log;
    this.metrics = w.metrics;
    this.plane = w.plane;
    this.#control = w.control;
    this.#admin = w.admin;
    this.#accessLog = w.accessLog;
    // One for all server blocks: each htpasswd file is read (and watched) once.
    const access = new AccessControl(w.log, userFilesOf(w.settings));
    const byAddress = new Map<string, ProxyListener>();
    for (const server of w.settings.servers) {
      for (const listen of server.listen) {
        const key = `${listen.host}:${listen.port}`;
        let listener = byAddress.get(key);
        if (!listener) {
          listener = new ProxyListener(listen, server.clientHeaderTimeoutMs, w.log, w.observer);
          byAddress.set(key, listener);
          this.#listeners.push(listener);
        }
        const handler = new RequestHandler({ settings: server, pool: w.pool, sessions: w.sessions, access, log: w.log, observer: w.observer });
        listener.add({ settings: server, handler, upgrades: new UpgradeHandler(handler) });
      }
    }
    w.metrics.watch({ clientConnections: () => this.#listeners.map((l) => ({ listen: l.key, open: l.openConnections })) });
  }

  /**
   * Up in an order that fails safe (docs/architecture.md §12): the backends' states first, then every listener (the
   * admin API, then each proxy address); only when all are bound does the gateway register as a live member of the
   * fleet. A listener that cannot bind rejects with a ListenError and leaves nothing bound or registered.
   */
  async listen(handed?: Record<string, { host: string; port: number }>): Promise<Array<{ host: string; port: number }>> {
    await this.#control.prepare();
    try {
      await this.#admin?.listen();
      for (const listener of this.#listeners) {
        // A worker: its master bound the address and hands it the connections.
        const bound = handed?.[listener.key];
        if (handed && !bound) throw new ListenError('proxy', listener.host, listener.port, new Error('the master did not bind it'));
        if (bound) listener.serveHanded(bound);
        else await listener.listen();
      }
    } catch (err) {
      await Promise.all([this.#admin?.close(), ...this.#listeners.map((l) => l.close())]);
      throw err;
    }
    await this.#control.register();
    return this.addresses();
  }

  /** A connection the master accepted on the `listen` key: false when this gateway is closing (or has no such listener). */
  acceptHanded(listen: string, socket: Socket): boolean {
    const listener = this.#listeners.find((l) => l.key === listen);
    if (!listener) {
      socket.destroy();
      return false;
    }
    return listener.accept(socket);
  }

  addresses(): Array<{ host: string; port: number }> {
    return this.#listeners.map((l) => l.address());
  }

  /** USR1 (docs/architecture.md §12): access_log files are opened again by path, after logrotate renamed them. */
  reopenLogs(): void {
    this.#accessLog.reopen();
  }

  adminAddress(): { host: string; port: number } | null {
    return this.#admin?.address() ?? null;
  }

  /** Requests accepted by this process and not answered yet. */
  openRequests(): number {
    return this.#listeners.reduce((n, l) => n + l.openRequests, 0);
  }

  inFlight(): number {
    return this.pool.allBackends().reduce((n, b) => n + b.inFlight, 0);
  }

  /**
   * Graceful close (docs/architecture.md §12; nginx's graceful shutdown): accept nothing new; answer every request
   * already accepted — including one whose body is still arriving — with `Connection: close`; close idle keep-alive
   * connections; WebSockets get close code 1012 and SSE streams end so their clients reconnect elsewhere. What is
   * still open after `graceMs` (worker_shutdown_timeout) is cut. Then the admin API, the control plane, the pools
   * and the store close.
   */
  close(graceMs = this.settings.process.workerShutdownTimeoutMs): Promise<CloseReport> {
    // Asked again with no grace (a second Ctrl-C, INT during a graceful stop): end the grace now.
    if (this.#closing && graceMs === 0) this.#endGrace?.();
    this.#closing ??= this.#close(graceMs);
    return this.#closing;
  }

  async #close(graceMs: number): Promise<CloseReport> {
    const started = Date.now();
    const closed = Promise.all(this.#listeners.map((l) => l.close()));
    for (const backend of this.pool.allBackends()) {
      for (const entry of [...backend.longLived]) entry.close(CLOSE_SERVICE_RESTART, 'service restart');
    }
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace-over'>((resolve) => {
      this.#endGrace = () => resolve('grace-over');
      timer = setTimeout(this.#endGrace, graceMs);
    });
    const outcome = await Promise.race([closed.then(() => 'done' as const), graceOver]);
    clearTimeout(timer);
    let cut = 0;
    if (outcome === 'grace-over') {
      cut = this.#listeners.reduce((n, l) => n + l.cut(), 0);
      this.log.warn({ event: 'gateway.shutdown_cut', requests: cut, graceMs }, `worker_shutdown_timeout (${graceMs} ms) passed: ${cut} request(s) cut`);
      await closed;
    }
    // Every request has had its line by now (each is logged as its response closes): out with the buffers.
    this.#accessLog.close();
    await this.#admin?.close();
    await this.#control.stop();
    await this.pool.close();
    await this.store.close();
    return { cut, tookMs: Date.now() - started };
  }
}

function largestConnectTimeout(settings: GatewaySettings): number {
  const all = settings.servers.flatMap((s) => s.locations.map((l) => l.proxy?.connectTimeoutMs ?? defaults.proxy.connectTimeoutMs));
  return Math.max(1, ...all);
}

function singleProcessReport(settings: GatewaySettings, startedAt: number): GatewayProcessReport {
  return {
    mode: 'single', pid: process.pid, version: gatewayVersion(), config: settings.file, generation: 1, workerProcesses: 1,
    workerShutdownTimeoutMs: settings.process.workerShutdownTimeoutMs, workers: [], workerRestarts: 0, lastReload: null, startedAt,
  };
}
