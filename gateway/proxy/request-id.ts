import { randomFillSync } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { RequestSlot } from '../request-slot.js';

const ids = new RequestSlot<string, IncomingMessage>('session-gateway.request-id');

/**
 * The form a trusted id must have to be taken (docs/architecture.md §2): 1 to 128 of letters, digits and `-_.:=+/`.
 * That covers UUIDs, hex ids, base64 and `Root=1-…` style trace ids, and keeps quotes, spaces, `,` (a header sent
 * twice arrives joined with ", ") and control characters out of log lines and answers.
 */
const TRUSTED_FORM = /^[A-Za-z0-9._:=+/-]{1,128}$/;

/** A client's or load balancer's id when it has the accepted form, else null. */
export function trustedRequestId(value: string | string[] | undefined): string | null {
  return typeof value === 'string' && TRUSTED_FORM.test(value) ? value : null;
}

const ID_BYTES = 16;
/**
 * Entropy for 256 ids, refilled when used up: one randomFillSync per 256 requests instead of a randomBytes call (a
 * buffer and a trip into OpenSSL) on each, which showed at ~1 % of the request path's CPU (docs/architecture.md §2).
 * The same batching as Node's own randomUUID; the ids are exactly as random.
 */
const entropy = Buffer.alloc(ID_BYTES * 256);
let offset = entropy.length;
/** The batch as hex, made with its refill: each id is a slice of it, not a trip into Buffer's hex encoder of its own. */
let hex = '';

/** A fresh id, nginx's `$request_id`: 16 random bytes as hex (also for a head that could not be parsed). */
export function newRequestId(): string {
  if (offset === entropy.length) {
    randomFillSync(entropy);
    hex = entropy.toString('hex');
    offset = 0;
  }
  const id = hex.slice(offset * 2, (offset + ID_BYTES) * 2);
  offset += ID_BYTES;
  return id;
}

/**
 * Fixes the request's id once its server is known: the `trustedHeader` field (`set $gateway_request_id_header NAME;`)
 * when it has the accepted form, else a fresh `$request_id` as nginx makes. The first call wins.
 */
export function assignRequestId(req: IncomingMessage, trustedHeader: string | undefined): string {
  let id = ids.get(req);
  if (id === undefined) {
    id = (trustedHeader === undefined ? null : trustedRequestId(req.headers[trustedHeader])) ?? newRequestId();
    ids.set(req, id);
  }
  return id;
}

/**
 * The request's one id: `$request_id`, the X-Request-Id the backend gets, the gateway's own answers' X-Request-Id and
 * body, and every log line of the request name the same value.
 */
export function requestIdOf(req: IncomingMessage): string {
  return ids.get(req) ?? assignRequestId(req, undefined);
}
