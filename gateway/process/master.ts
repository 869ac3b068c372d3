import type { Logger } from '../log.js';
import type { MetricJson } from '../admin/dashboard-history.js';
import { createMasterControl, type MasterControl } from '../main.js';
import { gatewayVersion } from '../version.js';
import { type BackendStateMessage, type MasterMessage, type WorkerMessage } from './ipc-messages.js';
import { ConnectionDispatcher, listenAddresses } from './connection-dispatch.js';
import { removePidFile, writePidFile } from './pid-file.js';
import type { GatewayProcessReport, ReloadReport } from './process-report.js';
import { Reloader } from './reload.js';
import { installSignals } from './signals.js';
import { failStartup, logStartupNotes, type StartupConfig } from './startup.js';
import { StoreServer } from './store-server.js';
import { metricsSnapshot } from '../observability/worker-metrics.js';
import { WorkerMetrics } from './worker-metrics.js';
import { WorkerPool, type WorkerEntry } from './worker-pool.js';

/** One configuration generation: what its workers are given. */
export interface Generation {
  number: number;
  config: StartupConfig;
}

/**
 * The master process (docs/architecture.md §12), nginx's model: it runs what a gateway does once (the store, the
 * control plane, the admin API, the listening sockets) and `worker_processes` workers (node:cluster forks) that
 * proxy the connections it hands them.
 * Signals: HUP reloads, QUIT/TERM stop gracefully, INT stops fast, USR1 reopens the logs.
 */
export class Master {
  readonly log: Logger;
  readonly workers: WorkerPool;
  /** The listening sockets, bound here for the master's life, and each connection's hand-over to a worker. */
  readonly connections: ConnectionDispatcher;
  control!: MasterControl;
  serving: Generation;
  /** Generations whose workers may still ask for their configuration (the serving one, one being started). */
  readonly generations = new Map<number, Generation>();
  lastReload: ReloadReport | null = null;
  readonly #startedAt = Date.now();
  readonly #reloader: Reloader;
  readonly #metrics: WorkerMetrics;
  /** Each worker's store calls are answered in batches of their own (a worker gone takes its entry with it). */
  readonly #storeServers = new WeakMap<WorkerEntry, StoreServer>();
  #stopping: Promise<void> | null = null;
  readonly #listenKeys = new WeakMap<StartupConfig['settings'], Set<string>>();

  constructor(config: StartupConfig, log: Logger, reopenLogs: () => void) {
    this.log = log;
    this.serving = { number: 1, config };
    this.generations.set(1, this.serving);
    this.workers = new WorkerPool(log, {
      onMessage: (entry, m) => this.#answer(entry, m),
      env: (generation) => this.#workerEnv(generation),
      onServing: () => this.connections.flush(),
      onGone: (entry) => this.connections.workerGone(entry),
    });
    this.connections = new ConnectionDispatcher(log, {
      targets: (listen) => this.workers.workers((e) => e.state === 'serving' && e.generation === this.workers.generation && this.#serves(e.generation, listen)),
      hand: (entry, message, socket, failed) => this.workers.hand(entry, message, socket, failed),
    });
    this.#reloader = new Reloader(this);
    this.#metrics = new WorkerMetrics(this.workers, (storeWide) => metricsSnapshot(this.control.metrics, { storeWide }));
    this.reopenLogs = () => {
      reopenLogs();
      this.workers.broadcast({ sg: 'reopen-logs' });
      log.info({ event: 'logs.reopened' }, 'log files reopened (master and workers)');
    };
  }

  readonly reopenLogs: () => void;

  get settings(): StartupConfig['settings'] {
    return this.serving.config.settings;
  }

  /** Up in the order that fails safe: every address, the states, every worker bound, the pid file, then registered. */
  async start(): Promise<void> {
    const { config } = this.serving;
    try {
      this.control = await createMasterControl(config.settings, config.env, this.log, {
        settings: () => this.settings,
        counts: (b) => this.workers.countsOf(b),
        appliedEpoch: (own) => this.workers.lowestEpoch(own),
        onApplied: () => this.broadcastBackends(),
        onHealth: () => this.broadcastBackends(),
        processReport: () => this.report(),
        metricsText: () => this.#metrics.text(),
        metricsJson: async () => (await this.#metrics.json()) as unknown as MetricJson[],
      });
    } catch (err) {
      failStartup(this.log, err);
    }
    logStartupNotes(this.log, config, this.control.store);
    try {
      // Every address first, so a clash ends start-up at once (before any worker loads); connections that arrive
      // before the workers are up wait for them; /healthz answers 503 until the plane registers.
      await this.control.admin.listen();
      await this.connections.bind(config.settings);
      await this.control.plane.prepare();
      await this.workers.startGeneration(1, config.settings.process.workerProcesses);
      if (config.settings.process.pidFile) writePidFile(config.settings.process.pidFile);
    } catch (err) {
      await this.#teardown(0).catch(() => {});
      failStartup(this.log, err);
    }
    await this.control.plane.register();
    this.#logListening();
    installSignals(this.log, {
      graceful: (signal) => this.stop(signal, this.settings.process.workerShutdownTimeoutMs),
      fast: (signal) => this.stop(signal, 0),
      reload: () => void this.reload(),
      reopenLogs: () => this.reopenLogs(),
    });
  }

  /** HUP: one reload at a time; a HUP during a reload runs after it. */
  reload(): Promise<ReloadReport> {
    return this.#reloader.reload();
  }

  stop(signal: NodeJS.Signals, graceMs: number): void {
    if (this.#stopping) {
      // INT during a graceful stop: the workers end their grace now.
      this.workers.broadcast({ sg: 'shutdown', graceMs: 0 });
      return;
    }
    this.log.info({ event: 'gateway.stopping', signal, graceMs }, `${signal}: stopping, workers finish accepted requests (up to ${graceMs} ms)`);
    this.#stopping = this.#teardown(graceMs).then(
      () => this.#exit(0, { event: 'gateway.stopped' }, 'stopped'),
      (err: unknown) => this.#exit(1, { event: 'gateway.stop_failed', err }, 'stop failed'),
    );
  }

  /** Every backend's state as the master's control plane decided it, to every worker (they apply it and answer). */
  broadcastBackends(): void {
    this.workers.broadcast(this.#backendsMessage());
  }

  report(): GatewayProcessReport {
    const p = this.settings.process;
    return {
      mode: 'master', pid: process.pid, version: gatewayVersion(), config: this.settings.file, generation: this.serving.number, workerProcesses: p.workerProcesses,
      workerShutdownTimeoutMs: p.workerShutdownTimeoutMs, workers: this.workers.report(), workerRestarts: this.workers.restarts,
      lastReload: this.lastReload, startedAt: this.#startedAt,
    };
  }

  #backendsMessage(): MasterMessage {
    const plane = this.control?.plane;
    const backends: BackendStateMessage[] = (plane?.pool.allBackends() ?? []).map((b) => ({ upstream: b.upstream, name: b.name, adminState: b.adminState, health: b.health }));
    return { sg: 'backends', epoch: plane?.coord.epoch ?? 0, backends };
  }

  #storeServerOf(entry: WorkerEntry): StoreServer {
    let server = this.#storeServers.get(entry);
    if (!server) {
      server = new StoreServer(this.control.store, (replies) => this.workers.send(entry, { sg: 'store-reply', replies }));
      this.#storeServers.set(entry, server);
    }
    return server;
  }

  #answer(entry: WorkerEntry, m: WorkerMessage): void {
    if (m.sg === 'store') this.#storeServerOf(entry).answer(m.calls);
    else if (m.sg === 'took') this.connections.took(entry, m.seq, m.accepted);
    else if (m.sg === 'metrics') this.#metrics.answered(m);
    else if (m.sg === 'want-backends') this.workers.send(entry, this.#backendsMessage());
    else if (m.sg === 'want-config') {
      const generation = this.generations.get(entry.generation) ?? this.serving;
      this.workers.send(entry, { sg: 'config', generation: generation.number, file: generation.config.settings.file, directives: generation.config.directives, listening: this.connections.bound() });
    }
  }

  /** Whether that generation's configuration has this `listen` address (asked for every connection accepted). */
  #serves(generation: number, listen: string): boolean {
    const settings = this.generations.get(generation)?.config.settings;
    if (!settings) return false;
    let keys = this.#listenKeys.get(settings);
    if (!keys) this.#listenKeys.set(settings, (keys = new Set(listenAddresses(settings).keys())));
    return keys.has(listen);
  }

  /** A worker's environment: the master's, plus what must be the same in every worker (a generated cookie secret). */
  #workerEnv(generation: number): NodeJS.ProcessEnv {
    const env = this.serving.config.env;
    return { SG_GENERATION: String(generation), ...(env.sessionSecretGenerated ? { SESSION_SECRET: env.sessionSecrets.join(',') } : {}) };
  }

  async #teardown(graceMs: number): Promise<void> {
    // As nginx: the ports close first (nothing new is accepted), then the workers finish what they took.
    this.connections.close();
    await this.workers.stopAll(graceMs);
    await this.control?.admin.close();
    await this.control?.plane.stop();
    await this.control?.plane.pool.close();
    await this.control?.store.close();
    if (this.settings.process.pidFile) removePidFile(this.settings.process.pidFile);
  }

  #exit(code: number, record: Record<string, unknown>, message: string): void {
    if (code === 0) this.log.info(record, message);
    else this.log.error(record, message);
    this.log.flush();
    process.exit(code);
  }

  #logListening(): void {
    const env = this.serving.config.env;
    const admin = this.control.admin.address();
    const token = env.adminToken !== null;
    const addresses = this.settings.servers.flatMap((s) => s.listen.map((l) => ({ host: l.host, port: l.port })));
    const unique = [...new Map(addresses.map((a) => [`${a.host}:${a.port}`, a])).values()];
    const workers = this.workers.report();
    this.log.info({ event: 'admin.listening', address: admin, token }, `admin API on http://${admin.host}:${admin.port}/${token ? '' : ' (no ADMIN_TOKEN: loopback only)'}`);
    this.log.info({ event: 'gateway.listening', addresses: unique, config: this.settings.file, workers: workers.map((w) => w.pid), generation: this.serving.number },
      `listening on ${unique.map((a) => `${a.host}:${a.port}`).join(', ')} with ${workers.length} worker(s) (master ${process.pid})`);
  }
}

/** `session-gateway start` with `master_process on` (the default). */
export async function runMaster(config: StartupConfig, log: Logger, reopenLogs: () => void): Promise<Master> {
  const master = new Master(config, log, reopenLogs);
  await master.start();
  return master;
}
