import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AdminClient, resolveAdminUrl } from './admin-client.js';

/** Options every command that talks to a gateway takes (docs/architecture.md §8). */
export const ADMIN_OPTIONS = {
  admin: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export interface AdminArgs {
  client: AdminClient;
  json: boolean;
}

export function adminClientFrom(values: { admin?: string | undefined; token?: string | undefined }, env: NodeJS.ProcessEnv = process.env): AdminClient {
  const token = values.token ?? (env.ADMIN_TOKEN?.trim() || null);
  return new AdminClient({ url: resolveAdminUrl(values.admin, env), token });
}

/** Print an error the way every admin command does: the message and its code (or JSON with --json). */
export function printFailure(err: unknown, json: boolean, command: string): number {
  const e = err as { code?: string; message?: string };
  const code = e.code ?? 'SG_ERROR';
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: { code, message: e.message ?? String(err) } })}\n`);
  else process.stderr.write(`session-gateway ${command}: ${e.message ?? String(err)} (${code})\n`);
  return code === 'SG_ADMIN_UNREACHABLE' ? 3 : 1;
}

export { parseArgs };
