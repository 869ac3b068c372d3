import { parseArgs } from './cli-args.js';
import type { CliCommand } from './commands.js';
import { UsageError } from './usage-error.js';

const USAGE = `usage: session-gateway check -c FILE
  -c, --config FILE    the config file (nginx-compat syntax; include globs are followed)
Prints every problem at once as file:line: message, like nginx -t.
exit: 0 valid · 1 problems found · 2 usage
`;

export const checkCommand: CliCommand = {
  summary: 'check -c FILE: validate a config file, print every problem as file:line: message',
  usage: USAGE,
  async run(args) {
    const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, allowPositionals: false });
    if (!values.config) throw new UsageError('-c FILE is required');
    const { checkConfigCommand } = await import('../config/load-config.js');
    return checkConfigCommand(values.config, process.stdout);
  },
};
