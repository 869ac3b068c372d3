/** A command line the command cannot run: exit 2 with a human message (cli/main.ts). */
export class UsageError extends Error {
  readonly code = 'SG_USAGE';
}

/**
 * node:util parseArgs' own refusals (unknown option, missing or invalid value, unexpected positional) are usage errors
 * too; their messages are readable, their ERR_PARSE_ARGS_* codes are not for operators.
 */
export function isUsageError(err: unknown): err is Error {
  if (err instanceof UsageError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}
