import type { NextUpstreamCondition, ProxySettings } from '../config/settings.js';
import { BackendBadResponseError, BackendTimeoutError, type GatewayError } from '../errors.js';

/**
 * nginx's proxy_next_upstream rules as pure decisions (ngx_http_upstream_next and _test_next; docs/architecture.md
 * §17). A try may be followed by another only when its condition is listed, tries and proxy_next_upstream_timeout are
 * left, and the request can be sent again: POST, LOCK and PATCH only with `non_idempotent` once the backend may have
 * seen them, a body only when the gateway kept it. Nothing has gone to the client at any of these points.
 */

/** nginx's non-idempotent methods: any other method (PROPFIND, PUT, …) is retried like GET. */
const NON_IDEMPOTENT = new Set(['POST', 'LOCK', 'PATCH']);

/** Statuses a backend may answer that proxy_next_upstream can name. */
const STATUS_CONDITIONS: ReadonlyMap<number, NextUpstreamCondition> = new Map([
  [500, 'http_500'], [502, 'http_502'], [503, 'http_503'], [504, 'http_504'], [403, 'http_403'], [404, 'http_404'], [429, 'http_429'],
]);

/** The condition a failed try is: a timeout (connecting or waiting for the head), an unforwardable answer, or an error. */
export function failureCondition(error: GatewayError): NextUpstreamCondition {
  if (error instanceof BackendTimeoutError) return 'timeout';
  return error instanceof BackendBadResponseError ? 'invalid_header' : 'error';
}

/** The condition a backend's answer is, or null when no proxy_next_upstream value names its status. */
export function statusCondition(status: number): NextUpstreamCondition | null {
  return STATUS_CONDITIONS.get(status) ?? null;
}

/** nginx counts these answers against the backend (max_fails); 403 and 404 only move on to the next one. */
export function countsAsFailure(condition: NextUpstreamCondition): boolean {
  return condition !== 'http_403' && condition !== 'http_404';
}

export interface TryState {
  method: string;
  /** The backend may have seen the request (it was written, or answered). */
  requestSent: boolean;
  /** The body (if any) can be sent again. */
  replayable: boolean;
  /** Tries made so far, this one included. */
  tries: number;
  /** When the first try started (Date.now()). */
  startedAt: number;
}

/** May the request go on to another backend after a try that ended in `condition`? */
export function mayTryNext(proxy: ProxySettings, condition: NextUpstreamCondition, state: TryState, now = Date.now()): boolean {
  const allowed = proxy.nextUpstream;
  if (!allowed.includes(condition)) return false;
  if (state.requestSent && NON_IDEMPOTENT.has(state.method) && !allowed.includes('non_idempotent')) return false;
  if (state.requestSent && !state.replayable) return false;
  if (proxy.nextUpstreamTries > 0 && state.tries >= proxy.nextUpstreamTries) return false;
  return !(proxy.nextUpstreamTimeoutMs > 0 && now - state.startedAt >= proxy.nextUpstreamTimeoutMs);
}
