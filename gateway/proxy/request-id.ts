import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { acceptableRequestId } from './headers.js';

const fresh = new WeakMap<IncomingMessage, string>();

/** nginx's `$request_id`: 16 random bytes as hex, made once per request. */
export function freshRequestId(req: IncomingMessage): string {
  let id = fresh.get(req);
  if (id === undefined) {
    id = newRequestId();
    fresh.set(req, id);
  }
  return id;
}

/** An id for something that is not a request yet (a head that could not be parsed). */
export function newRequestId(): string {
  return randomBytes(16).toString('hex');
}

/**
 * The request's id: the client's X-Request-Id when acceptable, else `$request_id`. One per request, so the backend's
 * X-Request-Id, every log line and the gateway's own error answer name the same request.
 */
export function requestIdOf(req: IncomingMessage): string {
  return acceptableRequestId(req.headers['x-request-id']) ?? freshRequestId(req);
}
