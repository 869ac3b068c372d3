import { ADMIN_OPTIONS, adminClientFrom, parseArgs, printFailure } from './admin-args.js';
import type { CliCommand } from './commands.js';
import { UsageError } from './usage-error.js';

/** `drain NAME` / `ready NAME`: one admin state change through the admin API (refusals come back as codes). */
export function stateCommand(action: 'drain' | 'ready', summary: string, explanation: string): CliCommand {
  return {
    summary,
    usage: `usage: session-gateway ${action} NAME [--admin URL] [--token T] [--json]
  NAME    the backend as host:port, as written in the upstream
${explanation}
exit: 0 done · 1 refused by the API · 2 usage · 3 admin API unreachable or not one · 4 refused by a safety rule
`,
    async run(args) {
      const { values, positionals } = parseArgs({ args, options: ADMIN_OPTIONS, allowPositionals: true });
      if (positionals.length !== 1) throw new UsageError('exactly one backend NAME (host:port as in the upstream) is required');
      const name = positionals[0]!;
      const client = adminClientFrom(values);
      try {
        const result = await client.post<{ name: string; state: string; changed: boolean; epoch?: number }>(`/api/backends/${encodeURIComponent(name)}/${action}`, { by: 'cli' });
        if (values.json) process.stdout.write(`${JSON.stringify({ ok: true, ...result })}\n`);
        else process.stdout.write(`${name}: ${result.state}${result.changed ? '' : ' (unchanged)'}\n`);
        return 0;
      } catch (err) {
        return printFailure(err, values.json, action);
      }
    },
  };
}
