import { randomFillSync } from 'node:crypto';
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

const ID_BYTES = 16;
/**
 * Entropy for 256 ids, refilled when used up: one randomFillSync per 256 requests instead of a randomBytes call (a
 * buffer and a trip into OpenSSL) on each, which showed at ~1 % of the request path's CPU (docs/architecture.md §2).
 * The same batching as Node's own randomUUID; the ids are exactly as random.
 */
const entropy = Buffer.alloc(ID_BYTES * 256);
let offset = entropy.length;

/** An id for something that is not a request yet (a head that could not be parsed). */
export function newRequestId(): string {
  if (offset === entropy.length) {
    randomFillSync(entropy);
    offset = 0;
  }
  const id = entropy.toString('hex', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}

/**
 * The request's id: the client's X-Request-Id when acceptable, else `$request_id`. One per request, so the backend's
 * X-Request-Id, every log line and the gateway's own error answer name the same request.
 */
export function requestIdOf(req: IncomingMessage): string {
  return acceptableRequestId(req.headers['x-request-id']) ?? freshRequestId(req);
}
