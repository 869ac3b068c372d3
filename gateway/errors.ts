/**
 * Every error the gateway raises is a GatewayError with a stable `code` and, where it reaches a client, the HTTP
 * status the gateway answers with. Codes are part of the operator-facing contract (log lines, JSON output): never
 * rename one; add new ones instead. The README's "Error codes" table lists them all (a test checks that).
 */
export class GatewayError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status = 500, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/** The configuration file or environment is invalid; `problems` lists every one, as `file:line: message`. */
export class ConfigError extends GatewayError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('SG_CONFIG_INVALID', `invalid configuration:\n${problems.join('\n')}`, 500);
    this.problems = problems;
  }
}

/** The session store cannot be reached or answered with an error: the gateway answers 503. */
export class StoreUnavailableError extends GatewayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SG_STORE_UNAVAILABLE', message, 503, options);
  }
}

/**
 * The session store did not say, within the outcome timeout, whether a commit was applied (Redis stalled or a
 * failover outlasted it): the gateway answers 504 and says it does not know — never a 503, which means "not applied".
 */
export class StoreTimeoutError extends GatewayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SG_STORE_TIMEOUT', message, 504, options);
  }
}

/** The store has no room: the embedded store at its memory bound, or Redis at maxmemory. Nothing was applied (503). */
export class StoreFullError extends GatewayError {
  constructor(message: string) {
    super('SG_STORE_FULL', message, 503);
  }
}

/**
 * A stored session value or the principal index key was encrypted under a key SESSION_STORE_KEY does not list, or
 * does not decrypt (altered): the gateway answers 500 and names the key id, so the operator can list the key again.
 */
export class StoreKeyError extends GatewayError {
  constructor(message: string) {
    super('SG_STORE_KEY_MISMATCH', message, 500);
  }
}

/** A backend answered with an `X-Session-*` header the gateway cannot apply: the gateway answers 502. */
export class WriteBackError extends GatewayError {
  constructor(code: 'SG_WRITEBACK_MALFORMED' | 'SG_WRITEBACK_TOO_LARGE' | 'SG_WRITEBACK_NOT_NUMBER', message: string) {
    super(code, message, 502);
  }
}

/** A client created new sessions faster than `$session_create_rate` allows: the gateway answers 429 with Retry-After. */
export class SessionRateLimitedError extends GatewayError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super('SG_SESSION_RATE_LIMITED', message, 429);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A login that the duplicate-login policy refuses (`reject-new`): the gateway answers 409. */
export class LoginRejectedError extends GatewayError {
  constructor(message: string) {
    super('SG_LOGIN_REJECTED', message, 409);
  }
}

/** No backend of the upstream is READY and HEALTHY. */
export class NoBackendError extends GatewayError {
  constructor(upstream: string) {
    super('SG_NO_BACKEND', `no backend of upstream "${upstream}" is available`, 503);
  }
}

/** The backend failed: refused, reset, or an invalid response. */
export class BackendError extends GatewayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SG_BACKEND_FAILED', message, 502, options);
  }
}

/**
 * The backend answered with a response the gateway cannot forward: a malformed status line or reason phrase, bad
 * framing (conflicting lengths, a bad chunk, a transfer-coding other than chunked), a head too large.
 */
export class BackendBadResponseError extends GatewayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SG_BACKEND_BAD_RESPONSE', message, 502, options);
  }
}

/** The backend did not answer within proxy_connect_timeout / proxy_read_timeout / proxy_send_timeout. */
export class BackendTimeoutError extends GatewayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SG_BACKEND_TIMEOUT', message, 504, options);
  }
}

/** Bad or too slow client input the gateway refuses itself (400, 408, 413, 431). */
export class ClientRequestError extends GatewayError {
  constructor(code: 'SG_BAD_REQUEST' | 'SG_BODY_TOO_LARGE' | 'SG_HEADERS_TOO_LARGE' | 'SG_CLIENT_TIMEOUT', message: string, status: 400 | 408 | 413 | 431) {
    super(code, message, status);
  }
}

/** An admin or CLI operation was refused (unknown backend, unsafe drain, a rollout already running, ...). */
export class AdminOperationError extends GatewayError {
  constructor(code: string, message: string, status = 409) {
    super(code, message, status);
  }
}

const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied (a port below 1024 needs root or CAP_NET_BIND_SERVICE)',
  EADDRNOTAVAIL: 'no such address on this host',
  ENOTFOUND: 'the host name does not resolve',
};

/** An access_log file cannot be opened for appending: start-up ends with it, as nginx's does. */
export class AccessLogOpenError extends GatewayError {
  constructor(path: string, source: string, cause: NodeJS.ErrnoException) {
    super('SG_ACCESS_LOG_OPEN_FAILED', `access_log ${path} (${source}) cannot be opened: ${cause.message}`, 500, { cause });
  }
}

/** A listener (proxy or admin) could not bind: start-up ends non-zero with this one line, before anything registers. */
export class ListenError extends GatewayError {
  constructor(what: string, host: string, port: number, cause: NodeJS.ErrnoException) {
    const errno = cause.code ?? '';
    const reason = LISTEN_REASONS[errno] ?? cause.message;
    super('SG_LISTEN_FAILED', `cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port} (${what}): ${reason}${errno ? ` (${errno})` : ''}`, 500, { cause });
  }
}
