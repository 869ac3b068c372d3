#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gatewayVersion } from '../version.js';
import { commands, usage } from './commands.js';
import { isUsageError } from './usage-error.js';

/**
 * `session-gateway <command> [options]` — the package bin (docs/architecture.md §8). `--help` and `--version` are
 * answered here for every command, and a command's usage error (an unknown option, a missing value) exits 2 with the
 * command's name and a pointer to its help, whatever the command.
 */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`session-gateway ${gatewayVersion()}\n`);
    return 0;
  }
  if (name === undefined) {
    process.stderr.write(usage());
    return 2;
  }
  if (name === '-h' || name === '--help' || name === 'help') {
    const topic = rest[0] === undefined ? undefined : commands[rest[0]];
    process.stdout.write(topic?.usage ?? usage());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`session-gateway: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (asksForHelp(rest)) {
    process.stdout.write(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (!isUsageError(err)) throw err;
    process.stderr.write(`session-gateway ${name}: ${err.message}\nRun "session-gateway ${name} --help" for its options.\n`);
    return 2;
  }
}

/** `-h` / `--help` anywhere before a `--` that ends the options. */
function asksForHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '-h' || a === '--help');
}

const invokedDirectly = (() => {
  try {
    return realpathSync(process.argv[1] ?? '') === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();

if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      // `start` keeps the process alive itself; every other command ends here.
      if (code !== -1) process.exitCode = code;
    },
    (err: unknown) => {
      // An error with a stable code is an operator's problem (Redis unreachable, port taken): say it in one line.
      // Anything else is a bug: show the stack.
      const e = err as { code?: unknown; message?: string; stack?: string };
      const line = typeof e?.code === 'string' ? `${e.code}: ${e.message}` : (e?.stack ?? String(err));
      process.stderr.write(`session-gateway: ${line}\n`);
      process.exitCode = 1;
    },
  );
}
