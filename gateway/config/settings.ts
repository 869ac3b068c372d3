import type { AccessSettings } from '../access/access-settings.js';
import type { AccessLogTarget } from './log-directives.js';
import type { CompiledPattern } from './pcre-regex.js';
import type { RedirectSettings } from './return-directive.js';
import type { ServerName } from './server-names.js';

/**
 * Typed settings the gateway runs on, built from nginx-compat.conf (see build-settings.ts) and the environment
 * (see env.ts). Durations are milliseconds, sizes bytes. One defaults object, used by the builder and by tests.
 */

export type OnLimit = 'evict-oldest' | 'reject-new';
export type CookieSecure = 'auto' | 'always' | 'never';

export interface SessionSettings {
  /** `set $session off;` turns every piece of session work off for a location (static files). */
  enabled: boolean;
  cookieName: string;
  idleTimeoutMs: number;
  absoluteTimeoutMs: number;
  /** The largest X-Session header a backend receives, in bytes (`$session_max_bytes`; see header-jwt.ts attributeBudget). */
  maxBytes: number;
  /** 0 = unlimited. */
  maxPerPrincipal: number;
  /** `$session_create_rate`: new sessions a client may create per second; 0 = no bound (session/creation-limiter.ts). */
  createRatePerSecond: number;
  /** `$session_create_burst`: how many more a client may create at once. */
  createBurst: number;
  onLimit: OnLimit;
  /** Attribute namespace; '' is the shared scope every location sees by default. */
  scope: string;
  /** After a login rotates the id, the old id stays an alias of the session this long (the login race); 0 = none. */
  loginGraceMs: number;
  cookieSecure: CookieSecure;
  /** Behind a TLS-terminating load balancer: believe the client connection's `X-Forwarded-Proto: https` (for the
   * cookie's Secure flag and the X-Forwarded-Proto passed on), and take the last X-Forwarded-For hop as the client
   * `$session_create_rate` counts. Off by default: a client could send them itself. */
  trustForwardedProto: boolean;
  /** `$session_wait_replicas` (server context): replicas that must acknowledge a commit (Redis WAIT); 0 = none. */
  waitReplicas: number;
  /** `$session_wait_timeout`: how long a commit waits for them before it is answered anyway, logged and counted. */
  waitTimeoutMs: number;
}

export interface HealthCheckSettings {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  rise: number;
  fall: number;
  slowStartMs: number;
}

export interface UpstreamServerSettings {
  /** `host:port` exactly as written in the upstream: the backend's NAME for the admin API and CLI. */
  name: string;
  host: string;
  port: number;
  weight: number;
  maxFails: number;
  failTimeoutMs: number;
  backup: boolean;
  down: boolean;
  /** nginx `max_conns`: connections to this backend at most; 0 = unlimited. Requests over it wait for a connection. */
  maxConns: number;
}

export interface UpstreamSettings {
  name: string;
  servers: UpstreamServerSettings[];
  /** Idle keep-alive connections kept per backend (nginx `keepalive`). */
  keepalive: number;
  /** Idle pooled sockets are closed after this long: keep it below the backends' own keep-alive timeout. */
  keepaliveTimeoutMs: number;
  health: HealthCheckSettings;
  /** Where the directive was written, for messages. */
  source: string;
}

/** nginx `proxy_next_upstream` conditions (every one nginx 1.22 has but `updating`, a cache condition). */
export type NextUpstreamCondition =
  | 'error' | 'timeout' | 'invalid_header' | 'http_500' | 'http_502' | 'http_503' | 'http_504' | 'http_403' | 'http_404'
  | 'http_429' | 'non_idempotent' | 'off';

/**
 * One `proxy_redirect` rule, applied to a backend's `Location` and `Refresh`: `prefix` replaces a leading `from`
 * (variables expanded per request), `regex` replaces the whole value when it matches (`$1`… in `to`).
 */
export type RedirectRule =
  | { kind: 'prefix'; from: string; to: string }
  | { kind: 'regex'; pattern: string; caseless: boolean; to: string };

/** `add_header NAME VALUE [always];` VALUE keeps its variables, expanded per response; an empty result adds nothing. */
export interface AddHeader {
  name: string;
  value: string;
  always: boolean;
}

export interface ProxySettings {
  /** Name of the upstream the location proxies to (an implicit one-server upstream for `proxy_pass http://host:port`). */
  upstream: string;
  /** Path prefix from `proxy_pass http://up/prefix`; null = pass the request URI unchanged (nginx semantics). */
  uriPrefix: string | null;
  /**
   * `proxy_set_header NAME VALUE;` in order, with nginx variables left in VALUE, expanded per request. A name set
   * twice is sent twice; a VALUE that expands to '' sends nothing of that name (not even the client's).
   */
  setHeaders: Array<[name: string, value: string]>;
  /** `proxy_redirect` rules, first match wins; [] = off. `default` is already resolved to its FROM and TO. */
  redirects: RedirectRule[];
  /** Lower-case names of backend response fields not passed on: nginx's defaults and proxy_hide_header, less proxy_pass_header. */
  hideHeaders: string[];
  connectTimeoutMs: number;
  readTimeoutMs: number;
  sendTimeoutMs: number;
  nextUpstream: NextUpstreamCondition[];
  /** 0 = unlimited (bounded by the number of backends). */
  nextUpstreamTries: number;
  /** `proxy_next_upstream_timeout`: no further try after this long since the first; 0 = unlimited. */
  nextUpstreamTimeoutMs: number;
  /** `underscores_in_headers` of the server: off drops request fields whose name has `_` (they are invalid). */
  underscoresInHeaders: boolean;
  /** `ignore_invalid_headers` of the server: drop request fields with names other than letters, digits, `-`. */
  ignoreInvalidHeaders: boolean;
}

/** `return code [text|URL];` / `return URL;` (docs/architecture.md §2): answered without a backend. */
export interface ReturnSettings {
  code: number;
  /** The body, or for 301/302/303/307/308 the Location, with nginx variables left in it; null = none. */
  text: string | null;
  /** `default_type` where the `return` is: the Content-Type of a text body. */
  contentType: string;
  source: string;
}

export interface LocationSettings {
  /** `regex` is `~` (and `~*`, with a caseless pattern). */
  match: 'prefix' | 'exact' | 'regex';
  /** The name as written (the pattern's source for a regex location). */
  path: string;
  /** `^~`: when it is the longest prefix, regular expressions are not tried. */
  noregex: boolean;
  regex: CompiledPattern | null;
  /** Locations written inside this one, in order (nginx searches them when this one matches). */
  nested: LocationSettings[];
  /** The `source` of the location this one is inside; null at the server level. */
  nestedIn: string | null;
  /** nginx's auto_redirect: a location ending in "/" that proxies answers its name without the "/" with a 301. */
  autoRedirect: boolean;
  /** The location's own `return` (not inherited by nested locations, as in nginx). */
  return: ReturnSettings | null;
  /** `set $name value;` as they run for a request here: the server's, then this location's own (not an outer one's). */
  sets: Array<[name: string, value: string]>;
  /** absolute_redirect, port_in_redirect, server_name_in_redirect here. */
  redirect: RedirectSettings;
  proxy: ProxySettings | null;
  /** 0 = unlimited (nginx `client_max_body_size 0`). */
  clientMaxBodyBytes: number;
  /** nginx `client_body_timeout`: the longest pause between two reads of the request body (408 after it). */
  clientBodyTimeoutMs: number;
  session: SessionSettings;
  /** allow/deny, auth_basic, satisfy, internal, limit_except of this location (gateway/access/). */
  access: AccessSettings;
  /** Where its requests are logged (access_log); absent or [] = nowhere. */
  accessLog?: AccessLogTarget[];
  /**
   * The access logs of its `limit_except` block, for the methods the block restricts (nginx runs such a request with
   * the block's configuration); absent when the block has no access_log (then `accessLog` applies to every method).
   */
  limitExceptAccessLog?: AccessLogTarget[];
  /** `add_header` of this location (inherited whole from the nearest level that has any). */
  addHeaders: AddHeader[];
  source: string;
}

export interface ListenSettings {
  host: string;
  port: number;
  /** `listen … default_server`: the server for this address when no server_name matches. */
  defaultServer: boolean;
}

export interface ServerSettings {
  listen: ListenSettings[];
  /** `server_name` arguments as written ('' when there is none). */
  serverNames: string[];
  /** The same, parsed (server-names.ts), in the order written. */
  names: ServerName[];
  /** `$server_name`: the first name. */
  serverName: string;
  /** Every location, nested ones included, in the order written. */
  locations: LocationSettings[];
  /** A server-level `return`: it answers every request before a location is chosen (nginx's server rewrite phase). */
  return: ReturnSettings | null;
  /** The server's `set $name value;`, in order (a request that matches no location sees these). */
  sets: Array<[name: string, value: string]>;
  /** The server level's redirect flags (for its own `return`). */
  redirect: RedirectSettings;
  /** nginx `client_header_timeout`: a client that has not sent its whole request head by then gets 408. */
  clientHeaderTimeoutMs: number;
  /** The server level's access rules: they apply to a request that matches no location, as in nginx. */
  access: AccessSettings;
  /** The server level's `add_header`: on its own `return` and on the answer to a request no location took. */
  addHeaders: AddHeader[];
  /** Where a request that no location took is logged (the server level's access_log). */
  accessLog?: AccessLogTarget[];
  /** `set $gateway_request_id_header NAME;` (lower case): a well-formed id in this field becomes `$request_id`. */
  requestIdHeader?: string;
  source: string;
}

/** `error_log FILE [LEVEL];` in the main context. */
export interface ErrorLogSettings {
  /** An absolute path, or `stderr` / `stdout`. */
  file: string;
  /** The logger's level; null = LOG_LEVEL. */
  level: string | null;
}

/** The process model (main context, nginx's directives; docs/architecture.md §12). */
export interface ProcessSettings {
  /** `worker_processes N | auto;` (auto = the cores this process may use). */
  workerProcesses: number;
  /** `worker_shutdown_timeout T;`: how long a graceful stop or an old worker after a reload may take. */
  workerShutdownTimeoutMs: number;
  /** `pid FILE;` (absolute); null = no pid file. */
  pidFile: string | null;
  /** `master_process off;` runs one process: no workers, no reload without a restart. */
  masterProcess: boolean;
  errorLog: ErrorLogSettings | null;
}

export interface GatewaySettings {
  servers: ServerSettings[];
  upstreams: Map<string, UpstreamSettings>;
  /** Directives we read but do not implement, reported once at start-up: `file:line: name`. */
  ignored: string[];
  /** Restricting directives the gateway does not implement, accepted by `$gateway_ignore_unsupported on`. */
  overridden: string[];
  /** The main config file. */
  file: string;
  process: ProcessSettings;
}

export const defaults = {
  session: {
    enabled: true,
    cookieName: 'gsid',
    idleTimeoutMs: 30 * 60_000,
    absoluteTimeoutMs: 24 * 60 * 60_000,
    // 6 KiB leaves 2 KiB of an 8 KiB request-head limit (Tomcat's maxHttpHeaderSize, gunicorn's field limit, Node's
    // --max-http-header-size=8192) for the request line and the other headers.
    maxBytes: 6 * 1024,
    maxPerPrincipal: 0,
    // Roomy for many users behind one NAT address; a flood from one client gets 429 past it (README "Bounds").
    createRatePerSecond: 10,
    createBurst: 100,
    onLimit: 'evict-oldest',
    scope: '',
    loginGraceMs: 10_000,
    cookieSecure: 'auto',
    trustForwardedProto: false,
    waitReplicas: 0,
    waitTimeoutMs: 500,
  } satisfies SessionSettings as SessionSettings,
  health: {
    path: '/healthz',
    intervalMs: 2_000,
    timeoutMs: 1_000,
    rise: 2,
    fall: 3,
    slowStartMs: 10_000,
  } satisfies HealthCheckSettings as HealthCheckSettings,
  server: { weight: 1, maxFails: 1, failTimeoutMs: 10_000 },
  upstream: { keepalive: 32, keepaliveTimeoutMs: 4_000 },
  proxy: {
    connectTimeoutMs: 60_000,
    readTimeoutMs: 60_000,
    sendTimeoutMs: 60_000,
    nextUpstream: ['error', 'timeout'] as NextUpstreamCondition[],
    nextUpstreamTries: 0,
    nextUpstreamTimeoutMs: 0,
    underscoresInHeaders: false,
    ignoreInvalidHeaders: true,
  },
  /** Backend response fields nginx never passes on unless proxy_pass_header names them (Date and Server are its own). */
  hiddenResponseHeaders: ['date', 'server', 'x-pad', 'x-accel-expires', 'x-accel-redirect', 'x-accel-limit-rate', 'x-accel-buffering', 'x-accel-charset'],
  clientMaxBodyBytes: 1024 * 1024,
  clientHeaderTimeoutMs: 60_000,
  clientBodyTimeoutMs: 60_000,
  listen: { host: '0.0.0.0', port: 80, defaultServer: false },
  /** nginx's defaults, but for worker_shutdown_timeout (nginx: unbounded; here 10 s, so a stop always ends). */
  process: { workerProcesses: 1, workerShutdownTimeoutMs: 10_000, pidFile: null, masterProcess: true, errorLog: null } satisfies ProcessSettings as ProcessSettings,
  /** Largest request head the listener accepts before answering 431 (Node's own default). */
  maxHeaderBytes: 16 * 1024,
} as const;
