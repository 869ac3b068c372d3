import type { ParseArgsConfig } from 'node:util';
import { AdminClient, resolveAdminUrl } from './admin-client.js';
import { parseArgs } from './cli-args.js';

/** Options every command that talks to a gateway takes (docs/architecture.md §8). */
export const ADMIN_OPTIONS = {
  admin: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export interface AdminArgs {
  client: AdminClient;
  json: boolean;
}

export function adminClientFrom(values: { admin?: string | undefined; token?: string | undefined }, env: NodeJS.ProcessEnv = process.env): AdminClient {
  const token = values.token ?? (env.ADMIN_TOKEN?.trim() || null);
  return new AdminClient({ url: resolveAdminUrl(values.admin, env), token });
}

/** Refusals by a safety rule (README "Rolling restart, CLI and admin API"): nothing changed, exit 4. */
const SAFETY_REFUSALS: ReadonlySet<string> = new Set(['SG_LAST_SERVING_BACKEND', 'SG_ROLLOUT_UNSAFE', 'SG_ROLLOUT_LOCKED']);

/** The exit code for a failed admin call: 3 when no admin API answered, 4 for a safety refusal, else 1. */
export function exitCodeFor(code: string): number {
  if (code === 'SG_ADMIN_UNREACHABLE' || code === 'SG_NOT_ADMIN_API') return 3;
  return SAFETY_REFUSALS.has(code) ? 4 : 1;
}

/** Print an error the way every admin command does: the message and its code (or JSON with --json). */
export function printFailure(err: unknown, json: boolean, command: string): number {
  const e = err as { code?: string; message?: string };
  const code = e.code ?? 'SG_ERROR';
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: { code, message: e.message ?? String(err) } })}\n`);
  else process.stderr.write(`session-gateway ${command}: ${e.message ?? String(err)} (${code})\n`);
  return exitCodeFor(code);
}

export { parseArgs };
