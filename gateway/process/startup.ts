import { readEnvSettings, type EnvSettings } from '../config/env.js';
import { loadGatewayConfig } from '../config/load-config.js';
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
}

/**
 * The configuration file and the environment, validated together: every problem at once (`file:line: message`), or
 * settings to start on. Nothing global changes.
 */
export function readStartupConfig(file: string, processEnv: NodeJS.ProcessEnv): { config: StartupConfig | null; problems: string[] } {
  const loaded = loadGatewayConfig(file);
  const envProblems: string[] = [];
  const env = readEnvSettings(processEnv, envProblems);
  const problems = [...loaded.problems, ...envProblems];
  if (problems.length > 0 || !loaded.settings) return { config: null, problems };
  return { config: { settings: loaded.settings, env, ignored: loaded.ignored }, problems: [] };
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
