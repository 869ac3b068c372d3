import { errors } from 'undici';
import { BackendBadResponseError, BackendError, BackendTimeoutError, GatewayError } from '../errors.js';

/** undici and socket error codes → the gateway's own errors (502 failed or bad response, 504 timed out). */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
/** undici's verdicts on a response it could not parse or that broke its own framing rules. */
const BAD_RESPONSE_CODES = new Set(['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'UND_ERR_HEADERS_OVERFLOW', 'UND_ERR_RES_EXCEEDED_MAX_SIZE']);
/** SocketError messages undici uses for a response that does not fit the request (an unasked-for 101, ...). */
const BAD_RESPONSE_MESSAGES = new Set(['bad response', 'bad upgrade']);

export function errorCodeOf(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  return 'UNKNOWN';
}

/** Did the backend send something that is not HTTP, or that breaks HTTP's framing rules? */
export function isBadResponse(err: unknown): boolean {
  if (err instanceof BackendBadResponseError || err instanceof errors.HTTPParserError) return true;
  const code = errorCodeOf(err);
  if (BAD_RESPONSE_CODES.has(code)) return true;
  return code === 'UND_ERR_SOCKET' && BAD_RESPONSE_MESSAGES.has((err as Error).message);
}

export function toUpstreamError(err: unknown, backend: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const code = errorCodeOf(err);
  const detail = (err as Error)?.message ?? String(err);
  if (TIMEOUT_CODES.has(code)) return new BackendTimeoutError(`backend ${backend} timed out (${code})`, { cause: err });
  if (isBadResponse(err)) return new BackendBadResponseError(`backend ${backend} sent a response that cannot be forwarded: ${detail}`, { cause: err });
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

/**
 * A kept-alive connection the backend closed or reset just as this request was to go out on it (the backend's
 * keep-alive timeout, or its limit of requests per connection, raced the reuse): either the request was written on a
 * reused connection and got no answer, or it was still waiting for the connection when undici failed it with that
 * connection's error. nginx gives such a failure one more try, on the same server if need be, and does not count it
 * against the server: a fresh connection is likely to work.
 */
export function staleConnectionFailure(err: unknown, exchange: { reusedConnection: boolean; requestWritten: boolean }): boolean {
  if (exchange.requestWritten && !exchange.reusedConnection) return false;
  const code = errorCodeOf(err);
  return code === 'ECONNRESET' || code === 'EPIPE' || (code === 'UND_ERR_SOCKET' && !isBadResponse(err));
}
