import { poolFor } from '../main.js';
import { listenAddresses } from './connection-dispatch.js';
import type { Master } from './master.js';
import type { ReloadReport } from './process-report.js';
import { readStartupConfig, startupFailureLine } from './startup.js';

/**
 * HUP (docs/architecture.md §12), as nginx: read and validate the file; on any problem keep serving the old
 * configuration and log every problem as `file:line`. Otherwise the control plane takes the new backends (those that
 * stay keep their admin state and health), a new generation of workers starts on the new configuration — and their
 * code, so a new build is a reload — and only once every one of them listens are the old ones told to finish
 * gracefully (in-flight requests complete, idle keep-alive connections close, WebSockets get 1012, SSE ends), bounded
 * by worker_shutdown_timeout. A new `listen` address the master cannot bind, or a new worker that cannot start, fails
 * the reload the same way.
 */
export class Reloader {
  readonly #master: Master;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(master: Master) {
    this.#master = master;
  }

  reload(): Promise<ReloadReport> {
    const next = this.#queue.then(() => this.#reload());
    this.#queue = next.catch(() => {});
    return next;
  }

  async #reload(): Promise<ReloadReport> {
    const master = this.#master;
    const started = Date.now();
    const generation = master.serving.number + 1;
    const file = master.settings.file;
    master.log.info({ event: 'gateway.reloading', generation, config: file }, `SIGHUP: reloading ${file} (generation ${generation})`);
    // The environment stays the master's: a generated cookie secret must not change under the live sessions.
    const { config, problems } = readStartupConfig(file, {});
    if (!config) return this.#failed(generation, started, problems);
    config.env = master.serving.config.env;
    // New `listen` addresses are bound by the master as at start-up: one in use fails the reload, nothing changed.
    let added: string[];
    try {
      added = await master.connections.bind(config.settings);
    } catch (err) {
      return this.#failed(generation, started, [startupFailureLine(err)]);
    }
    const { plane } = master.control;
    const previous = plane.pool;
    await plane.replacePool(poolFor(config.settings));
    master.generations.set(generation, { number: generation, config });
    try {
      await master.workers.startGeneration(generation, config.settings.process.workerProcesses);
    } catch (err) {
      master.generations.delete(generation);
      const rejected = plane.pool;
      await plane.replacePool(poolFor(master.settings));
      await rejected.close().catch(() => {});
      master.connections.release(added);
      return this.#failed(generation, started, [startupFailureLine(err)]);
    }
    const old = master.workers.workers((w) => w.generation < generation);
    master.generations.delete(master.serving.number);
    master.serving = { number: generation, config };
    master.broadcastBackends();
    // Addresses the new configuration dropped stop accepting; the old workers finish the connections they took there.
    const kept = listenAddresses(config.settings);
    master.connections.release(master.connections.keys().filter((key) => !kept.has(key)));
    await previous.close().catch(() => {});
    const graceMs = config.settings.process.workerShutdownTimeoutMs;
    void master.workers.retire(old, graceMs).then(() => master.log.info({ event: 'gateway.old_workers_gone', generation: generation - 1 }, `generation ${generation - 1}'s workers are gone`));
    const report: ReloadReport = { generation, at: started, ok: true, problems: [], tookMs: Date.now() - started };
    master.lastReload = report;
    master.log.info({ event: 'gateway.reloaded', generation, tookMs: report.tookMs, oldWorkers: old.length, graceMs },
      `reloaded: generation ${generation} serves; ${old.length} old worker(s) finish within ${graceMs} ms`);
    return report;
  }

  #failed(generation: number, started: number, problems: string[]): ReloadReport {
    const master = this.#master;
    for (const problem of problems) master.log.error({ event: 'config.reload_problem', problem }, problem);
    master.log.error({ event: 'gateway.reload_failed', generation, problems: problems.length, serving: master.serving.number },
      `reload failed (${problems.length} problem(s)); generation ${master.serving.number} keeps serving the old configuration`);
    const report: ReloadReport = { generation, at: started, ok: false, problems, tookMs: null };
    master.lastReload = report;
    return report;
  }
}
