import cluster, { type Worker } from 'node:cluster';
import type { Socket } from 'node:net';
import type { BackendCounts } from '../coord/coord-sync.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Backend } from '../pool/backend.js';
import { backendKey, isWorkerMessage, type MasterMessage, type WorkerMessage } from './ipc-messages.js';
import type { WorkerReport } from './process-report.js';

/** What the master answers a worker with (the store server, the backend states, the configuration). */
export interface WorkerHooks {
  /** Any message the pool does not handle itself (store calls, requests for the config and the backend states). */
  onMessage(worker: WorkerEntry, message: WorkerMessage): void;
  env(generation: number): NodeJS.ProcessEnv;
  /** Workers began to serve (a generation started, a dead one replaced): connections waiting for one can go. */
  onServing(): void;
  /** A worker is gone (exited, killed): what was handed to it and not taken goes to another. */
  onGone(worker: WorkerEntry): void;
}

export interface WorkerEntry {
  worker: Worker;
  generation: number;
  state: WorkerReport['state'];
  startedAt: number;
  counts: Record<string, [number, number]>;
  open: number;
  /** The admin-state epoch it applied last (-1: none yet). */
  epoch: number;
  version: string | null;
}

/** Restart delay after a worker died young: doubles from 100 ms to 10 s; a worker that lived 10 s resets it. */
const BACKOFF_MS = { first: 100, max: 10_000, settled: 10_000 };

/** Past the grace, a worker that has not exited is killed: its requests were cut by the worker itself already. */
const EXIT_SLACK_MS = 5_000;

/**
 * The master's workers (docs/architecture.md §12): forks them on the serving generation's configuration, waits for
 * each to bind, replaces one that dies on its own (with backoff, logged), retires a generation gracefully after a
 * reload, and sums what they report so the gateway counts once.
 */
export class WorkerPool {
  readonly #log: Logger;
  readonly #hooks: WorkerHooks;
  readonly #entries = new Map<number, WorkerEntry>();
  #generation = 0;
  #size = 0;
  #backoffMs = BACKOFF_MS.first;
  #stopping = false;
  restarts = 0;

  constructor(log: Logger, hooks: WorkerHooks) {
    this.#log = log;
    this.#hooks = hooks;
    cluster.setupPrimary({ serialization: 'advanced' });
    cluster.on('exit', (worker, code, signal) => this.#exited(worker, code, signal));
  }

  get generation(): number {
    return this.#generation;
  }

  /**
   * Start `size` workers of `generation` and resolve once every one listens; on the first that fails, kill the
   * others of that generation and reject with its line. The generation serves (and is kept alive) only if all bind.
   */
  async startGeneration(generation: number, size: number): Promise<WorkerEntry[]> {
    const started = await this.#spawn(generation, size);
    this.#generation = generation;
    this.#size = size;
    this.#hooks.onServing();
    return started;
  }

  async #spawn(generation: number, size: number): Promise<WorkerEntry[]> {
    const started = Array.from({ length: size }, () => this.#fork(generation));
    const ready = started.map((entry) => new Promise<void>((resolve, reject) => {
      entry.worker.on('message', (m: unknown) => {
        if (!isWorkerMessage(m)) return;
        if (m.sg === 'ready') {
          entry.version = m.version;
          resolve();
        }
        else if (m.sg === 'start-failed') reject(new GatewayError(m.code, m.message));
      });
      entry.worker.once('exit', (code, signal) => reject(new GatewayError('SG_WORKER_FAILED', `worker ${entry.worker.process.pid} exited (${signal ?? `code ${code}`}) before it listened`)));
    }));
    try {
      await Promise.all(ready);
    } catch (err) {
      for (const entry of started) this.#kill(entry);
      await Promise.allSettled(ready);
      throw err;
    }
    for (const entry of started) entry.state = 'serving';
    return started;
  }

  /** Ask these workers to stop within graceMs; resolves when they are gone (killed EXIT_SLACK_MS past the grace). */
  async retire(entries: WorkerEntry[], graceMs: number): Promise<void> {
    await Promise.all(entries.map((entry) => {
      entry.state = 'stopping';
      const gone = new Promise<void>((resolve) => {
        if (entry.worker.isDead()) resolve();
        else entry.worker.once('exit', () => resolve());
      });
      this.#send(entry, { sg: 'shutdown', graceMs });
      const timer = setTimeout(() => this.#kill(entry), graceMs + EXIT_SLACK_MS);
      return gone.finally(() => clearTimeout(timer));
    }));
  }

  /** The workers `filter` accepts (all by default). */
  workers(filter: (entry: WorkerEntry) => boolean = () => true): WorkerEntry[] {
    return [...this.#entries.values()].filter(filter);
  }

  /** Stop for good: nothing dead is replaced any more; every worker gets the shutdown. */
  async stopAll(graceMs: number): Promise<void> {
    this.#stopping = true;
    await this.retire(this.workers(), graceMs);
  }

  broadcast(message: MasterMessage): void {
    for (const entry of this.#entries.values()) this.#send(entry, message);
  }

  send(entry: WorkerEntry, message: MasterMessage): void {
    this.#send(entry, message);
  }

  /** Send a connection: node keeps the master's copy open (`keepOpen`) until the worker says it took it. */
  hand(entry: WorkerEntry, message: MasterMessage, socket: Socket, failed: () => void): void {
    if (!entry.worker.isConnected()) return failed();
    entry.worker.send(message, socket, { keepOpen: true }, (err: Error | null) => {
      if (err) failed();
    });
  }

  /** This gateway's counts of a backend: the sum over its workers, old generations finishing included. */
  countsOf(backend: Backend): BackendCounts {
    const key = backendKey(backend.upstream, backend.name);
    let inFlight = 0;
    let longLived = 0;
    for (const entry of this.#entries.values()) {
      const c = entry.counts[key];
      if (c) {
        inFlight += c[0];
        longLived += c[1];
      }
    }
    return { inFlight, longLived };
  }

  /** The epoch every worker has applied (the master's own when it has none). */
  lowestEpoch(own: number): number {
    let lowest = own;
    for (const entry of this.#entries.values()) if (entry.state !== 'starting') lowest = Math.min(lowest, Math.max(entry.epoch, 0));
    return lowest;
  }

  openRequests(): number {
    let n = 0;
    for (const entry of this.#entries.values()) n += entry.open;
    return n;
  }

  report(): WorkerReport[] {
    return [...this.#entries.values()].map((e) => ({ id: e.worker.id, pid: e.worker.process.pid ?? 0, generation: e.generation, state: e.state, startedAt: e.startedAt, version: e.version }));
  }

  #fork(generation: number): WorkerEntry {
    const worker = cluster.fork(this.#hooks.env(generation));
    const entry: WorkerEntry = { worker, generation, state: 'starting', startedAt: Date.now(), counts: {}, open: 0, epoch: -1, version: null };
    this.#entries.set(worker.id, entry);
    worker.on('message', (m: unknown) => {
      if (!isWorkerMessage(m)) return;
      if (m.sg === 'counts') {
        entry.counts = m.backends;
        entry.open = m.open;
      } else if (m.sg === 'applied') entry.epoch = Math.max(entry.epoch, m.epoch);
      else this.#hooks.onMessage(entry, m);
    });
    // A worker's channel closing under a send is its exit's business, not an uncaught error here.
    worker.on('error', (err) => this.#log.debug({ event: 'worker.ipc_error', pid: worker.process.pid, err: err.message }, 'worker IPC error'));
    return entry;
  }

  #send(entry: WorkerEntry, message: MasterMessage): void {
    if (entry.worker.isConnected()) entry.worker.send(message, (err: Error | null) => {
      if (err) this.#log.debug({ event: 'worker.send_failed', pid: entry.worker.process.pid, err: err.message }, 'message to a worker not sent');
    });
  }

  #kill(entry: WorkerEntry): void {
    if (!entry.worker.isDead()) entry.worker.process.kill('SIGKILL');
  }

  #exited(worker: Worker, code: number | null, signal: string | null): void {
    const entry = this.#entries.get(worker.id);
    if (!entry) return;
    this.#entries.delete(worker.id);
    this.#hooks.onGone(entry);
    const unexpected = entry.state === 'serving' && !this.#stopping;
    if (!unexpected) return;
    const lived = Date.now() - entry.startedAt;
    this.#backoffMs = lived >= BACKOFF_MS.settled ? BACKOFF_MS.first : Math.min(this.#backoffMs * 2, BACKOFF_MS.max);
    const delay = lived >= BACKOFF_MS.settled ? 0 : this.#backoffMs;
    this.#log.error({ event: 'worker.died', pid: worker.process.pid, code, signal, generation: entry.generation, openRequests: entry.open, restartInMs: delay },
      `worker ${worker.process.pid} died (${signal ?? `exit code ${code}`}) with ${entry.open} request(s) open; a new worker starts in ${delay} ms`);
    setTimeout(() => this.#replace(entry.generation), delay).unref();
  }

  #replace(generation: number): void {
    // A reload since then serves another generation, or a stop began: that one starts its own workers.
    if (this.#stopping || generation !== this.#generation || this.workers((e) => e.generation === generation).length >= this.#size) return;
    this.restarts++;
    this.#spawn(generation, 1).then(
      ([entry]) => {
        this.#log.info({ event: 'worker.replaced', pid: entry!.worker.process.pid, generation }, `worker ${entry!.worker.process.pid} started in place of a dead one`);
        this.#hooks.onServing();
      },
      (err: unknown) => {
        this.#log.error({ event: 'worker.replace_failed', err: (err as Error).message, generation }, `a replacement worker failed: ${(err as Error).message}`);
        this.#exitedLater(generation);
      },
    );
  }

  #exitedLater(generation: number): void {
    this.#backoffMs = Math.min(this.#backoffMs * 2, BACKOFF_MS.max);
    setTimeout(() => this.#replace(generation), this.#backoffMs).unref();
  }
}
