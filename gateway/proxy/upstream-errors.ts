import { BackendError, BackendTimeoutError, GatewayError } from '../errors.js';

/** undici and socket error codes → the gateway's own errors (502 failed, 504 timed out). */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

export function errorCodeOf(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  return 'UNKNOWN';
}

export function toUpstreamError(err: unknown, backend: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const code = errorCodeOf(err);
  const detail = (err as Error)?.message ?? String(err);
  if (TIMEOUT_CODES.has(code)) return new BackendTimeoutError(`backend ${backend} timed out (${code})`, { cause: err });
  return new BackendError(`backend ${backend} failed: ${detail} (${code})`, { cause: err });
}

/**
 * Did the failure happen before the backend could have seen the request? Then any method may be retried on another
 * backend. (Connection refused, or a connect timeout: no byte of the request reached the application.)
 */
export function failedBeforeRequestSent(err: unknown): boolean {
  const code = errorCodeOf(err);
  // UND_ERR_CLOSED: the backend's pool was closed by a drain just before this request was handed to it.
  return code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EAI_AGAIN' || code === 'ENOTFOUND' || code === 'UND_ERR_CLOSED';
}
