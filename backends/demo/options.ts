import { deriveHeaderKey } from '../../gateway/config/env.js';

/** Options of one demo backend process; one defaults object (STYLE: pino). */
export interface DemoAppOptions {
  host: string;
  /** 0 = any free port; the actual one is logged on start. */
  port: number;
  /** Reported as `X-Backend` on every response; default `<host>:<actual port>`, as written in the upstream. */
  name: string | null;
  /** Key that verifies the `X-Session` header; null = no key, every header is treated as no session. */
  headerKey: Buffer | null;
  /**
   * Idle keep-alive sockets are closed after this long. The gateway's pool idle timeout must stay BELOW it, or the
   * gateway may reuse a socket this server is closing at that instant (the stale keep-alive race → 502).
   */
  keepAliveTimeoutMs: number;
  /**
   * After SIGTERM, keep accepting (with /healthz answering 503) for up to this long so a load balancer can notice;
   * it ends early as soon as no request is in flight. 0 = stop accepting at once (the gateway retries refused connects).
   */
  stopDelayMs: number;
  /** Past this, a graceful stop gives up: open sockets are destroyed and the process exits 1. */
  stopTimeoutMs: number;
  logLevel: string;
  /**
   * Path prefix the app is mounted under behind the gateway (`/portal`), '' for the root. Requests under it are
   * served with the prefix removed (so `/portal/api/whoami` answers like `/api/whoami`); others as they are.
   */
  basePath: string;
}

export const DEMO_APP_DEFAULTS: Readonly<Omit<DemoAppOptions, 'headerKey'>> = Object.freeze({
  host: '127.0.0.1',
  port: 8081,
  name: null,
  keepAliveTimeoutMs: 5_000,
  stopDelayMs: 0,
  stopTimeoutMs: 10_000,
  logLevel: 'info',
  basePath: '',
});

export class DemoOptionsError extends Error {
  readonly code = 'SG_DEMO_OPTIONS_INVALID';
}

function intOption(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new DemoOptionsError(`${name}: "${text}" is not a non-negative integer`);
  return value;
}

/** `/portal/` → `/portal`; '' or `/` → ''. */
function basePathOption(text: string | undefined): string {
  const trimmed = (text ?? '').trim().replace(/\/+$/, '');
  if (trimmed === '') return DEMO_APP_DEFAULTS.basePath;
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(trimmed)) throw new DemoOptionsError(`base-path: "${text}" is not a path like /portal`);
  return trimmed;
}

/**
 * `--port N --name NAME --host H --stop-delay-ms N --stop-timeout-ms N` (also `--port=N`), falling back to the env
 * (PORT, BACKEND_NAME, HOST, STOP_DELAY_MS, STOP_TIMEOUT_MS, LOG_LEVEL), then the defaults.
 */
export function parseDemoAppOptions(argv: readonly string[], env: NodeJS.ProcessEnv): DemoAppOptions {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new DemoOptionsError(`unexpected argument "${arg}"`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new DemoOptionsError(`--${m[1]} needs a value`);
    flags.set(m[1]!, value);
  }
  const known = ['port', 'name', 'host', 'stop-delay-ms', 'stop-timeout-ms', 'base-path'];
  for (const key of flags.keys()) if (!known.includes(key)) throw new DemoOptionsError(`unknown option --${key}`);
  const port = intOption('port', flags.get('port') ?? env.PORT, DEMO_APP_DEFAULTS.port);
  if (port > 65535) throw new DemoOptionsError(`port: ${port} is out of range`);
  return {
    host: flags.get('host') ?? env.HOST ?? DEMO_APP_DEFAULTS.host,
    port,
    name: flags.get('name') ?? (env.BACKEND_NAME?.trim() || null),
    headerKey: deriveHeaderKey(env),
    keepAliveTimeoutMs: DEMO_APP_DEFAULTS.keepAliveTimeoutMs,
    stopDelayMs: intOption('stop-delay-ms', flags.get('stop-delay-ms') ?? env.STOP_DELAY_MS, DEMO_APP_DEFAULTS.stopDelayMs),
    stopTimeoutMs: intOption('stop-timeout-ms', flags.get('stop-timeout-ms') ?? env.STOP_TIMEOUT_MS, DEMO_APP_DEFAULTS.stopTimeoutMs),
    logLevel: env.LOG_LEVEL?.trim() || DEMO_APP_DEFAULTS.logLevel,
    basePath: basePathOption(flags.get('base-path') ?? env.BASE_PATH),
  };
}
