import { pino } from 'pino';
import { createLogger, type Logger } from '../log.js';
import type { StartupConfig } from './startup.js';

export interface ProcessLog {
  log: Logger;
  /** USR1 (`session-gateway reopen`): open the file again by its name, after logrotate moved it. */
  reopen(): void;
}

/**
 * Where this process's log lines go (docs/architecture.md §12): `error_log FILE [LEVEL];` appends to FILE (every
 * process of the gateway opens it, lines are whole writes), `error_log stderr;` to stderr, else stdout (LOG_LEVEL,
 * pretty on a TTY). The level is error_log's when it names one, else LOG_LEVEL.
 */
export function processLog(config: StartupConfig): ProcessLog {
  const target = config.settings.process.errorLog;
  const level = target?.level ?? config.env.logLevel;
  if (!target || target.file === 'stdout') return { log: createLogger({ level }), reopen: () => {} };
  const destination = target.file === 'stderr' ? pino.destination({ dest: 2, sync: true }) : pino.destination({ dest: target.file, append: true, mkdir: true, sync: true });
  const log = createLogger({ level, destination });
  return {
    log,
    reopen: () => {
      if (target.file !== 'stderr') destination.reopen();
    },
  };
}
