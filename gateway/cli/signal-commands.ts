import { ConfigReport } from '../config/config-report.js';
import { parseConfigFile } from '../config/parser.js';
import { readProcessDirectives } from '../config/process-directives.js';
import { GatewayError } from '../errors.js';
import type { GatewayProcessReport, ReloadReport } from '../process/process-report.js';
import { readPidFile } from '../process/pid-file.js';
import { ADMIN_OPTIONS, adminClientFrom, parseArgs, printFailure } from './admin-args.js';
import type { AdminClient } from './admin-client.js';
import type { CliCommand } from './commands.js';
import { UsageError } from './usage-error.js';

/**
 * `session-gateway reload | stop | quit | reopen [-c FILE | --pid FILE]`, as `nginx -s` (docs/architecture.md §12):
 * the master's pid comes from the configuration's `pid` directive (or --pid), and the command sends it the signal.
 * `reload` then waits for the master's answer on the admin API and prints it; `stop` and `quit` wait for it to exit.
 */
const OPTIONS = { ...ADMIN_OPTIONS, config: { type: 'string', short: 'c' }, pid: { type: 'string' }, timeout: { type: 'string', default: '60' } } as const;

const WAIT_STEP_MS = 100;

function usageOf(name: string, what: string, exit: string): string {
  return `usage: session-gateway ${name} (-c FILE | --pid FILE) [--timeout S] [--admin URL] [--token T] [--json]
${what}
  -c, --config FILE   the configuration whose "pid FILE;" names the master
  --pid FILE          the pid file itself
  --timeout S         how long to wait (default 60)
exit: ${exit}
`;
}

/** The pid file a configuration names: only its main-context `pid` is read, so a broken file still gets its reload. */
export function pidFileOf(configFile: string): string {
  const parsed = parseConfigFile(configFile);
  if (parsed.directives.length === 0 && parsed.problems.length > 0) throw new GatewayError('SG_PID_FILE', parsed.problems[0]!);
  const file = readProcessDirectives(parsed.directives, new ConfigReport()).pidFile;
  if (!file) throw new GatewayError('SG_PID_FILE', `${configFile} has no "pid FILE;" directive: add one (or pass --pid FILE) to signal the gateway`);
  return file;
}

type Target = { config?: string | undefined; pid?: string | undefined };

/** The command line names a master (before anything is tried: a usage error exits 2). */
function requireTarget(values: Target): void {
  if (!values.pid && !values.config) throw new UsageError('-c FILE (the configuration with a "pid" directive) or --pid FILE is required');
}

function masterPid(values: Target): number {
  return readPidFile(values.pid ?? pidFileOf(values.config!));
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GatewayError('SG_PID_FILE', code === 'ESRCH' ? `no process ${pid} (a stale pid file?)` : `cannot signal process ${pid}: ${code}`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function gatewayReport(client: AdminClient): Promise<GatewayProcessReport | null> {
  return client.get<GatewayProcessReport>('/api/gateway').catch(() => null);
}

/** After HUP: the master's next reload report (null when its admin API does not answer). */
async function awaitReload(client: AdminClient, before: GatewayProcessReport | null, deadline: number): Promise<ReloadReport | null> {
  if (!before) return null;
  while (Date.now() < deadline) {
    await sleep(WAIT_STEP_MS);
    const now = await gatewayReport(client);
    if (now?.lastReload && now.lastReload.at !== before.lastReload?.at) return now.lastReload;
  }
  throw new GatewayError('SG_RELOAD_TIMEOUT', 'the gateway did not report the reload in time (see its log)');
}

const reloadCommand: CliCommand = {
  summary: 'reload -c FILE: re-read the configuration without dropping a request (SIGHUP to the master)',
  usage: usageOf('reload', `Send SIGHUP to the master, as nginx -s reload, and print how the reload went (from the admin API):
the new generation, or every problem of the file as file:line while the old configuration keeps serving.`, '0 reloaded · 1 the reload failed or no master · 2 usage'),
  async run(args) {
    const { values } = parseArgs({ args, options: OPTIONS, allowPositionals: false });
    requireTarget(values);
    try {
      const pid = masterPid(values);
      const client = adminClientFrom(values);
      const before = await gatewayReport(client);
      signal(pid, 'SIGHUP');
      const report = await awaitReload(client, before, Date.now() + Number(values.timeout) * 1000);
      if (values.json) process.stdout.write(`${JSON.stringify({ ok: report?.ok ?? true, pid, reload: report })}\n`);
      else if (!report) process.stdout.write(`SIGHUP sent to ${pid} (its admin API did not answer: see its log for the outcome)\n`);
      else if (report.ok) process.stdout.write(`reloaded: generation ${report.generation} serves (${report.tookMs} ms)\n`);
      else process.stderr.write(`${report.problems.join('\n')}\nsession-gateway reload: failed, the old configuration keeps serving\n`);
      return report && !report.ok ? 1 : 0;
    } catch (err) {
      return printFailure(err, values.json, 'reload');
    }
  },
};

function stopCommand(name: string, sig: NodeJS.Signals, summary: string, what: string): CliCommand {
  return {
    summary,
    usage: usageOf(name, what, '0 the master exited · 1 no master, or still running after --timeout · 2 usage'),
    async run(args) {
      const { values } = parseArgs({ args, options: OPTIONS, allowPositionals: false });
      requireTarget(values);
      try {
        const pid = masterPid(values);
        signal(pid, sig);
        const deadline = Date.now() + Number(values.timeout) * 1000;
        while (alive(pid)) {
          if (Date.now() > deadline) throw new GatewayError('SG_STOP_TIMEOUT', `process ${pid} still runs after ${values.timeout} s`);
          await sleep(WAIT_STEP_MS);
        }
        process.stdout.write(values.json ? `${JSON.stringify({ ok: true, pid })}\n` : `stopped (${pid})\n`);
        return 0;
      } catch (err) {
        return printFailure(err, values.json, name);
      }
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const reopenCommand: CliCommand = {
  summary: 'reopen -c FILE: reopen the log files (SIGUSR1, after logrotate)',
  usage: usageOf('reopen', 'Send SIGUSR1 to the master, as nginx -s reopen: it and its workers reopen their log files.', '0 sent · 1 no master · 2 usage'),
  async run(args) {
    const { values } = parseArgs({ args, options: OPTIONS, allowPositionals: false });
    requireTarget(values);
    try {
      signal(masterPid(values), 'SIGUSR1');
      return 0;
    } catch (err) {
      return printFailure(err, values.json, 'reopen');
    }
  },
};

export const signalCommands: Record<string, CliCommand> = {
  reload: reloadCommand,
  stop: stopCommand('stop', 'SIGINT', 'stop -c FILE: stop now (SIGINT: open requests are cut), wait for the exit',
    'Send SIGINT to the master, as nginx -s stop (fast: open requests are cut), and wait until it has exited.'),
  quit: stopCommand('quit', 'SIGQUIT', 'quit -c FILE: stop gracefully (SIGQUIT: accepted requests finish), wait for the exit',
    'Send SIGQUIT to the master, as nginx -s quit: accepted requests finish within worker_shutdown_timeout; wait until it has exited.'),
  reopen: reopenCommand,
};
