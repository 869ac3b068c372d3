import type { Logger } from '../log.js';

/** What each signal means, as in nginx (docs/architecture.md §12). */
export interface SignalActions {
  /** QUIT, TERM: stop accepting, finish what was accepted (bounded by worker_shutdown_timeout), exit 0. */
  graceful(signal: NodeJS.Signals): void;
  /** INT: stop now. */
  fast(signal: NodeJS.Signals): void;
  /** HUP: re-read the configuration and switch to it without dropping a request. */
  reload(): void;
  /** USR1: reopen log files (after logrotate moved them). */
  reopenLogs(): void;
}

/**
 * Installs the handlers; a second stop signal while stopping gracefully makes the stop fast (a second Ctrl-C). USR2
 * and WINCH (nginx's binary upgrade and worker shutdown) are logged and ignored instead of killing the process.
 */
export function installSignals(log: Logger, actions: SignalActions): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals, fast: boolean) => {
    if (stopping && !fast) return;
    if (stopping) log.warn({ event: 'gateway.stop_fast', signal }, `${signal} while stopping: stopping now`);
    stopping = true;
    if (fast) actions.fast(signal);
    else actions.graceful(signal);
  };
  process.on('SIGQUIT', () => stop('SIGQUIT', false));
  process.on('SIGTERM', () => stop('SIGTERM', false));
  process.on('SIGINT', () => stop('SIGINT', true));
  process.on('SIGHUP', () => {
    if (!stopping) actions.reload();
  });
  process.on('SIGUSR1', () => actions.reopenLogs());
  for (const signal of ['SIGUSR2', 'SIGWINCH'] as const) {
    process.on(signal, () => log.warn({ event: 'gateway.signal_ignored', signal }, `${signal} ignored (no binary upgrade: see docs/architecture.md §12)`));
  }
}
