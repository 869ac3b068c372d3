import { parseArgs } from 'node:util';
import { checkConfigCommand } from '../config/load-config.js';
import type { CliCommand } from './commands.js';

export const checkCommand: CliCommand = {
  summary: 'check -c FILE: validate a config file, print every problem as file:line: message',
  async run(args) {
    const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, allowPositionals: false });
    if (!values.config) {
      process.stderr.write('session-gateway check: -c FILE is required\n');
      return 2;
    }
    return checkConfigCommand(values.config, process.stdout);
  },
};
