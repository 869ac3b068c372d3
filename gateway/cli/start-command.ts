import { parseArgs } from 'node:util';
import { createLogger } from '../log.js';
import { runSingleProcess } from '../process/single-process.js';
import { readStartupConfig } from '../process/startup.js';
import type { CliCommand } from './commands.js';

/**
 * Start the gateway in the foreground (docs/architecture.md §12). Signals as nginx: QUIT/TERM stop gracefully
 * (every accepted request is answered, within worker_shutdown_timeout), INT stops fast, HUP reloads, USR1 reopens logs.
 */
export const startCommand: CliCommand = {
  summary: 'start -c FILE: run the gateway on a config file (nginx-compat syntax)',
  async run(args) {
    const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, allowPositionals: false });
    if (!values.config) {
      process.stderr.write('session-gateway start: -c FILE is required\n');
      return 2;
    }
    const { config, problems } = readStartupConfig(values.config, process.env);
    if (!config) {
      process.stderr.write(`${problems.join('\n')}\nsession-gateway: ${problems.length} problem(s) in the configuration; not started\n`);
      return 1;
    }
    const log = createLogger({ level: config.env.logLevel });
    await runSingleProcess(config, log);
    return -1;
  },
};
