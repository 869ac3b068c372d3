import { readEnvSettings, type EnvSettings } from '../config/env.js';
import { buildSettings } from '../config/build-settings.js';
import { parseConfigFile, type Directive } from '../config/parser.js';
import type { GatewaySettings } from '../config/settings.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import { MemorySessionStore } from '../session/memory-store.js';
import { redactRedisUrl } from '../session/redis-connection.js';
import type { SessionStore } from '../session/store.js';

export interface StartupConfig {
  settings: GatewaySettings;
  env: EnvSettings;
  ignored: string[];
  /** The parsed files (what a master hands its workers, so they build exactly what it validated). */
  directives: Directive[];
}

/**
 * The configuration file and the environment, validated together: every problem at once (`file:line: message`), or
 * settings to start on. Nothing global changes.
 */
export function readStartupConfig(file: string, processEnv: NodeJS.ProcessEnv): { config: StartupConfig | null; problems: string[] } {
  const parsed = parseConfigFile(file);
  if (parsed.problems.length > 0) return startupConfigOf([], file, processEnv, parsed.problems);
  return startupConfigOf(parsed.directives, file, processEnv);
}

/** The same from directives already parsed (a worker's, from its master). */
export function startupConfigOf(directives: Directive[], file: string, processEnv: NodeJS.ProcessEnv, parseProblems: string[] = []): { config: StartupConfig | null; problems: string[] } {
  const built = parseProblems.length > 0 ? { settings: null, problems: parseProblems, ignored: [] } : buildSettings(directives, file);
  const envProblems: string[] = [];
  const env = readEnvSettings(processEnv, envProblems);
  const problems = [...built.problems, ...envProblems];
  if (problems.length > 0 || !built.settings) return { config: null, problems };
  return { config: { settings: built.settings, env, ignored: built.ignored, directives }, problems: [] };
}

/** The lines every start logs once: ignored directives, a generated secret, which store runs. */
export function logStartupNotes(log: Logger, config: StartupConfig, store: SessionStore): void {
  const { env, ignored } = config;
  if (ignored.length > 0) log.info({ event: 'config.ignored', directives: ignored }, `${ignored.length} nginx directive(s) ignored`);
  for (const line of config.settings.overridden) log.warn({ event: 'config.unsupported_ignored', directive: line }, line);
  if (env.sessionSecretGenerated) {
    log.warn({ event: 'config.secret_generated', secret: true }, 'SESSION_SECRET is not set: using a random secret for this process; sessions end when it restarts and other gateways cannot read them');
  }
  // One line that says which store runs (docs/architecture.md §5): an operator must never wonder whether sessions are shared.
  const memoryMax = store instanceof MemorySessionStore ? store.memory.limit : undefined;
  log.info({ event: 'store.ready', kind: store.kind, ...(env.redisUrl ? { redis: redactRedisUrl(env.redisUrl) } : { memoryMax }) }, store.kind === 'memory'
    ? `session store: embedded (in memory, in this gateway, at most ${Math.round((memoryMax ?? 0) / 1048576)} MiB; lost when it stops) — set REDIS_URL to share sessions between gateways`
    : `session store: redis at ${redactRedisUrl(env.redisUrl ?? '')}`);
}

/** One line for an operator (and a supervisor's log): `SG_CODE: message`, or the stack of a bug. */
export function startupFailureLine(err: unknown): string {
  if (err instanceof GatewayError || typeof (err as { code?: unknown })?.code === 'string') {
    const e = err as { code: string; message: string };
    return `${e.code}: ${e.message}`;
  }
  return (err as Error)?.stack ?? String(err);
}

/** Start-up failed: say it in one line, log it, and end the process non-zero at once (nothing may keep it alive). */
export function failStartup(log: Logger | null, err: unknown): never {
  const line = startupFailureLine(err);
  log?.fatal({ event: 'gateway.start_failed', code: (err as { code?: string })?.code, err: (err as Error)?.message }, line);
  log?.flush();
  process.stderr.write(`session-gateway: ${line}; not started\n`);
  process.exit(1);
}
