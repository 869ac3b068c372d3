import { checkCommand } from './check-command.js';
import { drainCommand } from './drain-command.js';
import { loadtestCommand } from './loadtest-command.js';
import { readyCommand } from './ready-command.js';
import { rollingRestartCommand } from './rolling-restart-command.js';
import { sessionsCommand } from './sessions-command.js';
import { signalCommands } from './signal-commands.js';
import { startCommand } from './start-command.js';
import { statusCommand } from './status-command.js';

export interface CliCommand {
  /** One line for the command list of `session-gateway --help`. */
  summary: string;
  /** The command's own `--help` text: synopsis, options, exit codes. */
  usage: string;
  /** Exit code; -1 means "still running" (start). `--help` never reaches it (cli/main.ts answers it). */
  run(args: string[]): Promise<number>;
}

/** Every CLI command, by name. A command lives in its own `*-command.ts` file. */
export const commands: Record<string, CliCommand> = {
  start: startCommand,
  check: checkCommand,
  status: statusCommand,
  drain: drainCommand,
  ready: readyCommand,
  'rolling-restart': rollingRestartCommand,
  sessions: sessionsCommand,
  loadtest: loadtestCommand,
  ...signalCommands,
};

export function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(18)} ${c.summary}`);
  return `usage: session-gateway <command> [options]\n       session-gateway <command> --help\n       session-gateway --version\n\ncommands:\n${lines.join('\n')}\n\n` +
    'Commands that talk to a running gateway take --admin URL, --token T and --json; without them they use\n' +
    'ADMIN_LISTEN / ADMIN_TOKEN from the environment, then http://127.0.0.1:9901.\n' +
    'Exit codes: 0 done · 1 failed or refused by the API · 2 usage · 3 admin API unreachable · 4 refused by a safety rule\n';
}
