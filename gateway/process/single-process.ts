import type { Logger } from '../log.js';
import { createGateway, type Gateway } from '../main.js';
import { installSignals } from './signals.js';
import { failStartup, logStartupNotes, type StartupConfig } from './startup.js';

/**
 * `master_process off;` (nginx's debugging mode): the whole gateway in this one process. It stops on signals as a
 * master does (QUIT/TERM graceful, INT fast) but cannot reload without a restart.
 */
export async function runSingleProcess(config: StartupConfig, log: Logger, reopenLogs: () => void = () => {}): Promise<Gateway> {
  let gateway: Gateway;
  try {
    gateway = await createGateway(config.settings, config.env, log);
  } catch (err) {
    failStartup(log, err);
  }
  logStartupNotes(log, config, gateway.store);
  let bound: Array<{ host: string; port: number }>;
  try {
    bound = await gateway.listen();
  } catch (err) {
    await gateway.close(0).catch(() => {});
    failStartup(log, err);
  }
  logListening(log, gateway, bound, config);
  const stop = (signal: NodeJS.Signals, graceMs: number) => {
    log.info({ event: 'gateway.stopping', signal, graceMs }, `${signal}: stopping, finishing accepted requests (up to ${graceMs} ms)`);
    gateway.close(graceMs).then(
      (report) => {
        log.info({ event: 'gateway.stopped', ...report }, 'stopped');
        log.flush();
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err, event: 'gateway.stop_failed' }, 'stop failed');
        log.flush();
        process.exit(1);
      },
    );
  };
  installSignals(log, {
    graceful: (signal) => stop(signal, config.settings.process.workerShutdownTimeoutMs),
    fast: (signal) => stop(signal, 0),
    reload: () => log.warn({ event: 'gateway.reload_refused', reason: 'master_process off' }, 'SIGHUP: cannot reload with "master_process off"; restart the gateway to change its configuration'),
    reopenLogs: () => {
      reopenLogs();
      gateway.reopenLogs();
      log.info({ event: 'logs.reopened' }, 'log files reopened');
    },
  });
  return gateway;
}

export function logListening(log: Logger, gateway: Gateway, bound: Array<{ host: string; port: number }>, config: StartupConfig): void {
  const admin = gateway.adminAddress();
  const token = config.env.adminToken !== null;
  if (admin) log.info({ event: 'admin.listening', address: admin, token }, `admin API on http://${admin.host}:${admin.port}/${token ? '' : ' (no ADMIN_TOKEN: loopback only)'}`);
  log.info({ event: 'gateway.listening', addresses: bound, config: config.settings.file }, `listening on ${bound.map((a) => `${a.host}:${a.port}`).join(', ')}`);
}
