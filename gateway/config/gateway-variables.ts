import type { ConfigReport } from './config-report.js';
import type { Directive } from './parser.js';
import type { CookieSecure, HealthCheckSettings, OnLimit, SessionSettings } from './settings.js';
import { parseCount, parseSize, parseTimeMs } from './units.js';

/**
 * Gateway-only settings written as nginx variables (`set $session_idle_timeout 30m;`), so the file stays valid for
 * `nginx -t`. `$session_*` apply in `server` and `location` (a location starts from its server's values);
 * `$session_wait_*` (SERVER_ONLY_SESSION) and `$health_check_*` and `$slow_start` apply in `server` only, to every upstream that server's locations proxy to —
 * nginx has no `set` inside `upstream`. The names are contract (docs/architecture.md §5).
 */

/** Replication of commits is a property of the store connection's use, not of a path: `server` context only. */
export const SERVER_ONLY_SESSION: ReadonlySet<string> = new Set(['session_wait_replicas', 'session_wait_timeout']);

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

type Setter<T> = (target: T, value: string) => string | null;

const SESSION_VARIABLES: Record<string, Setter<SessionSettings>> = {
  session: (s, v) => (v === 'on' || v === 'off' ? ((s.enabled = v === 'on'), null) : 'must be "on" or "off"'),
  session_cookie: (s, v) => (COOKIE_NAME.test(v) ? ((s.cookieName = v), null) : 'is not a valid cookie name'),
  session_idle_timeout: (s, v) => setPositive(v, parseTimeMs, (ms) => (s.idleTimeoutMs = ms), 'a time such as 30m'),
  session_absolute_timeout: (s, v) => setPositive(v, parseTimeMs, (ms) => (s.absoluteTimeoutMs = ms), 'a time such as 24h'),
  session_max_bytes: (s, v) => setPositive(v, parseSize, (n) => (s.maxBytes = n), 'a size such as 8k'),
  session_max_per_principal: (s, v) => {
    const n = parseCount(v);
    if (n === null) return 'must be a non-negative integer (0 = unlimited)';
    s.maxPerPrincipal = n;
    return null;
  },
  session_create_rate: (s, v) => {
    const rate = parseRate(v);
    if (rate === null) return 'must be a rate such as 10r/s or 600r/m, or "off"';
    s.createRatePerSecond = rate;
    return null;
  },
  session_create_burst: (s, v) => {
    const n = parseCount(v);
    if (n === null) return 'must be a non-negative integer';
    s.createBurst = n;
    return null;
  },
  session_on_limit: (s, v) =>
    v === 'evict-oldest' || v === 'reject-new' ? ((s.onLimit = v as OnLimit), null) : 'must be "evict-oldest" or "reject-new"',
  session_scope: (s, v) => (/^[A-Za-z0-9_.-]*$/.test(v) ? ((s.scope = v), null) : 'may contain only letters, digits, "_", "." and "-"'),
  session_trust_forwarded_proto: (s, v) =>
    v === 'on' || v === 'off' ? ((s.trustForwardedProto = v === 'on'), null) : 'must be "on" or "off"',
  session_cookie_secure: (s, v) =>
    v === 'auto' || v === 'always' || v === 'never' ? ((s.cookieSecure = v as CookieSecure), null) : 'must be "auto", "always" or "never"',
  session_wait_replicas: (s, v) => {
    const n = parseCount(v);
    if (n === null || n > 16) return 'must be a number of replicas from 0 (no wait) to 16';
    s.waitReplicas = n;
    return null;
  },
  session_wait_timeout: (s, v) => {
    const ms = parseTimeMs(v);
    // WAIT 0 would block forever; past 10 s a commit would outlast the outcome timeout (redis-store.ts).
    if (ms === null || ms <= 0 || ms > 10_000) return 'must be a time such as 500ms, greater than 0 and at most 10s';
    s.waitTimeoutMs = ms;
    return null;
  },
  session_login_grace: (s, v) => {
    const ms = parseTimeMs(v);
    if (ms === null || ms > 60_000) return 'must be a time such as 10s, at most 60s (0 = no alias of the pre-login id)';
    s.loginGraceMs = ms;
    return null;
  },
};

const HEALTH_VARIABLES: Record<string, Setter<HealthCheckSettings>> = {
  health_check_interval: (h, v) => setPositive(v, parseTimeMs, (ms) => (h.intervalMs = ms), 'a time such as 2s'),
  health_check_timeout: (h, v) => setPositive(v, parseTimeMs, (ms) => (h.timeoutMs = ms), 'a time such as 1s'),
  health_check_rise: (h, v) => setPositive(v, parseCount, (n) => (h.rise = n), 'a positive integer'),
  health_check_fall: (h, v) => setPositive(v, parseCount, (n) => (h.fall = n), 'a positive integer'),
  health_check_path: (h, v) => (/^\/\S*$/.test(v) ? ((h.path = v), null) : 'must be a path starting with "/"'),
  slow_start: (h, v) => {
    const ms = parseTimeMs(v);
    if (ms === null) return 'must be a time such as 10s (0 = off)';
    h.slowStartMs = ms;
    return null;
  },
};

/** nginx's `limit_req_zone … rate=`: `Nr/s` or `Nr/m` → per second; `off` (or `0r/s`) → 0. */
function parseRate(v: string): number | null {
  if (v === 'off') return 0;
  const m = /^(\d+)r\/([sm])$/.exec(v);
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? (m[2] === 's' ? n : n / 60) : null;
}

function setPositive(v: string, parse: (t: string) => number | null, assign: (n: number) => void, what: string): string | null {
  const n = parse(v);
  if (n === null || n <= 0) return `must be ${what}, greater than 0`;
  assign(n);
  return null;
}

export type VariableKind = 'session' | 'health' | 'gateway' | 'other';

export function variableKind(name: string): VariableKind {
  if (name === 'session' || name.startsWith('session_')) return 'session';
  if (name.startsWith('health_') || name === 'slow_start') return 'health';
  // `$gateway_*` (unsupported-directives.ts) is read, with its scope, before the block's directives.
  if (name.startsWith('gateway_')) return 'gateway';
  return 'other';
}

/** Splits `set $name value;` into its variable name (without `$`); reports and returns null when malformed. */
export function readSet(d: Directive, report: ConfigReport): { name: string; value: string } | null {
  if (!report.shape(d, false) || !report.arity(d, 2)) return null;
  const m = /^\$([A-Za-z0-9_]+)$/.exec(d.args[0]!);
  if (!m) {
    report.problem(d, `invalid variable name "${d.args[0]}"`);
    return null;
  }
  return { name: m[1]!, value: d.args[1]! };
}

export function applySessionVariable(d: Directive, name: string, value: string, target: SessionSettings, report: ConfigReport): void {
  const setter = SESSION_VARIABLES[name];
  if (!setter) {
    report.problem(d, `unknown gateway variable "$${name}" (known: ${Object.keys(SESSION_VARIABLES).map((k) => `$${k}`).join(', ')})`);
    return;
  }
  const error = setter(target, value);
  if (error) report.problem(d, `"$${name}" ${error}, got "${value}"`);
}

export function applyHealthVariable(d: Directive, name: string, value: string, target: HealthCheckSettings, report: ConfigReport): void {
  const setter = HEALTH_VARIABLES[name];
  if (!setter) {
    report.problem(d, `unknown gateway variable "$${name}" (known: ${Object.keys(HEALTH_VARIABLES).map((k) => `$${k}`).join(', ')})`);
    return;
  }
  const error = setter(target, value);
  if (error) report.problem(d, `"$${name}" ${error}, got "${value}"`);
}

/**
 * `set $gateway_request_id_header NAME;` (server): the field a trusted load balancer or client puts its id in. A header
 * name nginx accepts (letters, digits, `-`); returned lower-cased as Node names fields.
 */
export function readRequestIdHeader(d: Directive, value: string, report: ConfigReport): string | null {
  if (/^[A-Za-z0-9-]+$/.test(value)) return value.toLowerCase();
  report.problem(d, `"$gateway_request_id_header" must be a header name such as X-Request-Id, got "${value}"`);
  return null;
}
