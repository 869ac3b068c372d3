import type { Logger } from '../log.js';
import type { AdminState, Backend } from './backend.js';

export interface DrainOptions {
  log: Logger;
  /** An SSE stream is ended this long after the drain starts, so a client mid-event is not cut off. */
  sseGraceMs: number;
}

/** WebSocket close code 1012: "service restart" (RFC 6455 §7.4.1, IANA registry) — the client should reconnect. */
export const CLOSE_SERVICE_RESTART = 1012;

/**
 * The local side of a drain (docs/architecture.md §6), run by every gateway when a backend leaves READY. New requests already
 * avoid it (isServing); here: a fresh connection pool so the old one finishes its in-flight requests and closes its
 * idle sockets, WebSocket tunnels told to close with 1012, SSE streams ended after a grace period. The drain is
 * DRAINED when every gateway's heartbeat shows no in-flight request and no long-lived stream for the backend.
 */
export function drainBackendLocally(backend: Backend, options: DrainOptions): void {
  const old = backend.replaceDispatcher();
  old.close().catch((err: unknown) => options.log.debug({ event: 'drain.pool_close_failed', backend: backend.name, err: (err as Error).message }, 'old pool close failed'));
  let websockets = 0;
  let streams = 0;
  for (const entry of [...backend.longLived]) {
    if (entry.kind === 'sse') {
      streams++;
      const timer = setTimeout(() => {
        // READY again before the grace ran out (a drain cancelled): leave the stream alone.
        if (backend.adminState !== 'READY') entry.close(CLOSE_SERVICE_RESTART, 'service restart');
      }, options.sseGraceMs);
      timer.unref();
    } else {
      websockets++;
      entry.close(CLOSE_SERVICE_RESTART, 'service restart');
    }
  }
  options.log.info({ event: 'drain.local', backend: backend.name, inFlight: backend.inFlight, websockets, sseStreams: streams, sseGraceMs: options.sseGraceMs }, `draining ${backend.name} here: ${backend.inFlight} in flight, ${websockets} WebSocket(s) closed with 1012, ${streams} SSE stream(s) end in ${options.sseGraceMs} ms`);
}

/**
 * A backend's admin state changes in this process: leaving READY starts the local drain, coming back to READY starts
 * its slow-start ramp with a clean failure count. Returns the state it left, or null when nothing changed.
 */
export function applyAdminState(backend: Backend, to: AdminState, now: number, options: DrainOptions): AdminState | null {
  const from = backend.adminState;
  if (from === to) return null;
  backend.adminState = to;
  if (from === 'READY') drainBackendLocally(backend, options);
  if (to === 'READY') {
    backend.slowStartSince = now;
    backend.passive.reset();
  }
  return from;
}
