import cluster from 'node:cluster';
import { parseArgs } from './cli-args.js';
import { tuneHeapForRequests } from '../process/heap-tuning.js';
import type { CliCommand } from './commands.js';
import { UsageError } from './usage-error.js';

const USAGE = `usage: session-gateway start -c FILE
  -c, --config FILE    the config file (nginx-compat syntax); the environment adds the secrets and the store
                       (SESSION_SECRET, SESSION_STORE, REDIS_URL, ADMIN_LISTEN, ADMIN_TOKEN: see the README)
Runs in the foreground. Signals as nginx: HUP reload · QUIT/TERM graceful stop · INT fast stop · USR1 reopen logs.
exit: 1 the configuration has problems or a listener cannot bind · 2 usage
`;

/**
 * Start the gateway in the foreground (docs/architecture.md §12): a master and `worker_processes` workers (or one
 * process with `master_process off`). Signals as nginx: QUIT/TERM stop gracefully (every accepted request is
 * answered, within worker_shutdown_timeout), INT stops fast, HUP reloads, USR1 reopens logs.
 */
export const startCommand: CliCommand = {
  summary: 'start -c FILE: run the gateway on a config file (nginx-compat syntax)',
  usage: USAGE,
  async run(args) {
    // A worker and a one-process gateway serve requests; the master does not, and is tuned alike at no cost.
    tuneHeapForRequests();
    // node:cluster runs this same command in each worker: it takes its configuration from the master.
    // The gateway itself is imported when it is started: `--help`, `--version` and the other commands stay quick.
    if (cluster.isWorker) {
      const { runWorkerProcess } = await import('../process/worker.js');
      await runWorkerProcess();
      return -1;
    }
    const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, allowPositionals: false });
    if (!values.config) throw new UsageError('-c FILE is required');
    const { readStartupConfig } = await import('../process/startup.js');
    const { config, problems } = readStartupConfig(values.config, process.env);
    if (!config) {
      process.stderr.write(`${problems.join('\n')}\nsession-gateway: ${problems.length} problem(s) in the configuration; not started\n`);
      return 1;
    }
    const { processLog } = await import('../process/log-target.js');
    const { log, reopen } = processLog(config);
    if (config.settings.process.masterProcess) await (await import('../process/master.js')).runMaster(config, log, reopen);
    else await (await import('../process/single-process.js')).runSingleProcess(config, log, reopen);
    return -1;
  },
};
