#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { commands, usage } from './commands.js';

/** `session-gateway <command> [options]` — the package bin (docs/architecture.md §8). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`session-gateway: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return command.run(rest);
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
