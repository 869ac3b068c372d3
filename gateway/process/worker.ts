import cluster from 'node:cluster';
import { Socket } from 'node:net';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { createGateway, type Gateway } from '../main.js';
import { metricsSnapshot } from '../observability/worker-metrics.js';
import { createSessionStore, sessionStoreOptions } from '../session/store-factory.js';
import type { SessionStore } from '../session/store.js';
import { gatewayVersion } from '../version.js';
import { BackendMirror } from './backend-mirror.js';
import { isMasterMessage, type BoundAddresses, type MasterMessage, type WorkerMessage } from './ipc-messages.js';
import { IpcSessionStore, type IpcChannel } from './ipc-store.js';
import { processLog } from './log-target.js';
import { startupConfigOf, type StartupConfig } from './startup.js';

/** Signals a worker leaves to its master (docs/architecture.md §12): the master tells it when and how to stop. */
const MASTER_SIGNALS = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

/**
 * A worker process's start (`session-gateway start` run by node:cluster): take the configuration the master
 * validated — never the file, which may have been edited since — and serve it.
 */
export async function runWorkerProcess(): Promise<void> {
  const channel = process as unknown as IpcChannel;
  // The master gone before it said what to serve: nothing was accepted, nothing to finish.
  const orphaned = () => process.exit(0);
  process.once('disconnect', orphaned);
  const given = await new Promise<Extract<MasterMessage, { sg: 'config' }>>((resolve) => {
    channel.on('message', (m) => {
      if (isMasterMessage(m) && m.sg === 'config') resolve(m);
    });
    channel.send({ sg: 'want-config' });
  });
  process.off('disconnect', orphaned);
  const { config, problems } = startupConfigOf(given.directives, given.file, process.env);
  if (!config) {
    const err = new ConfigError(problems);
    channel.send({ sg: 'start-failed', code: err.code, message: err.message });
    process.exit(1);
  }
  const { log, reopen } = processLog(config);
  await runWorker(config, given.listening, log.child({ worker: cluster.worker?.id, generation: given.generation }), reopen);
}

/**
 * One worker of a master (node:cluster): the whole request path through createGateway, with the master's embedded
 * store over IPC (or its own Redis connections), the master's backend states mirrored, and no admin API. It stops when
 * the master says (`shutdown`) or, gracefully, when the master is gone.
 */
export async function runWorker(config: StartupConfig, listening: BoundAddresses, log: Logger, reopenLogs: () => void): Promise<void> {
  const channel = process as unknown as IpcChannel;
  const send = (m: WorkerMessage) => {
    if (channel.connected) channel.send(m);
  };
  for (const signal of MASTER_SIGNALS) process.on(signal, () => {});
  let gateway: Gateway;
  try {
    const store: SessionStore = config.env.redisUrl
      ? await createSessionStore(sessionStoreOptions(config.env, log))
      : new IpcSessionStore(channel);
    gateway = await createGateway(config.settings, config.env, log, {
      store, admin: false, clusterMetrics: false,
      control: (pool) => new BackendMirror(pool, channel, log, () => gateway.openRequests()),
    });
    const addresses = await gateway.listen(listening);
    send({ sg: 'ready', addresses, version: gatewayVersion() });
  } catch (err) {
    const e = err as { code?: unknown; message?: string };
    send({ sg: 'start-failed', code: typeof e?.code === 'string' ? e.code : 'SG_WORKER_FAILED', message: e?.message ?? String(err) });
    log.flush();
    process.exit(1);
  }
  const stop = (graceMs: number) => {
    gateway.close(graceMs).then(
      () => {
        log.flush();
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err, event: 'worker.stop_failed' }, 'worker stop failed');
        log.flush();
        process.exit(1);
      },
    );
  };
  channel.on('message', (m, handle) => {
    if (!isMasterMessage(m)) return;
    // Answered before the connection's first byte is read, so the master knows whether to give it to another.
    if (m.sg === 'conn') send({ sg: 'took', seq: m.seq, accepted: handle instanceof Socket && gateway.acceptHanded(m.listen, handle) });
    else if (m.sg === 'shutdown') stop(m.graceMs);
    else if (m.sg === 'reopen-logs') {
      reopenLogs();
      gateway.reopenLogs();
      log.info({ event: 'logs.reopened' }, 'log files reopened');
    }
    // Its requests and in-flight gauges are what the master's scrape sums (the master's own pool carries no traffic).
    else if (m.sg === 'metrics-req') void metricsSnapshot(gateway.metrics).then((json) => send({ sg: 'metrics', id: m.id, json }));
  });
  // The master died (SIGKILL, a crash): finish what was accepted, then go; a new master starts its own workers.
  channel.on('disconnect', () => stop(config.settings.process.workerShutdownTimeoutMs));
}

