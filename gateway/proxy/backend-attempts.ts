import type { ProxySettings } from '../config/settings.js';
import { NoBackendError, type GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import type { RequestRecord } from '../observability/request-record.js';
import type { Backend } from '../pool/backend.js';
import type { Lease } from '../pool/lease.js';
import type { Upstream } from '../pool/upstream-pool.js';
import type { BackendExchange, BackendResponseHead } from './backend-exchange.js';
import { countsAsFailure, failureCondition, mayTryNext, statusCondition } from './next-upstream.js';
import { failedBeforeRequestSent, staleConnectionFailure, toUpstreamError } from './upstream-errors.js';

export interface AttemptRequest {
  method: string;
  requestId: string;
  /** The body (if any) can be sent again: none, or kept whole in memory. */
  replayable: boolean;
  /** Start the exchange with one backend (a plain request, or a WebSocket upgrade). */
  start(backend: Backend): BackendExchange;
  /** The client left, or its body failed: no answer is due and nothing is retried. */
  abandoned(): boolean;
  /** Where each try is noted for the metrics and the access log ($upstream_addr, $upstream_status, …). */
  record?: RequestRecord;
}

/** A backend answered with a head: the lease is the caller's now, to release when the response is over. */
export interface Answered {
  backend: Backend;
  exchange: BackendExchange;
  head: BackendResponseHead;
  lease: Lease;
}

/** Every try failed (or there was no backend): the error to answer with, or null when no answer is due. */
export interface Failed {
  error: GatewayError | null;
}

/**
 * The tries of one request over an upstream's backends (docs/architecture.md §6, §17), shared by plain requests and
 * WebSocket upgrades so both get the same connect timeout, max_conns queue (the backend's pool), passive failure
 * counting and proxy_next_upstream rules (next-upstream.ts). Each try holds a lease on its backend; a failed try, or
 * an answer passed over for the next backend, releases it here.
 */
export class BackendAttempts {
  readonly #upstream: Upstream | undefined;
  readonly #proxy: ProxySettings;
  readonly #log: Logger;
  readonly #metrics: GatewayMetrics;
  /** The exchange of the current try, for an abort when the client goes away. */
  current: BackendExchange | null = null;

  constructor(upstream: Upstream | undefined, proxy: ProxySettings, log: Logger, metrics: GatewayMetrics) {
    this.#upstream = upstream;
    this.#proxy = proxy;
    this.#log = log;
    this.#metrics = metrics;
  }

  async run(request: AttemptRequest): Promise<Answered | Failed> {
    const tried = new Set<Backend>();
    const startedAt = Date.now();
    let staleRetried = false;
    let last: GatewayError | null = null;
    // Picked once per try (smooth weighted round-robin moves on with every pick, as nginx's does).
    let backend = this.#upstream?.pick(tried) ?? null;
    for (;;) {
      // None left after a stale-connection retry (the backend stopped serving meanwhile): its failure is the answer.
      if (!backend) return { error: last ?? this.#noBackend(request.requestId) };
      if (tried.size > 0 || staleRetried) this.#metrics.retries.inc();
      tried.add(backend);
      request.record?.attemptStarted(backend);
      const lease = backend.lease();
      let exchange: BackendExchange | null = null;
      try {
        exchange = request.start(backend);
        request.record?.attemptExchange(exchange);
        this.current = exchange;
        if (exchange.queued) this.#log.debug({ event: 'proxy.max_conns_wait', backend: backend.name, inUse: backend.slots?.taken, requestId: request.requestId }, `every connection to ${backend.name} is in use (max_conns): waiting`);
        const head = await exchange.head;
        request.record?.attemptAnswered(head.statusCode);
        const next = this.#afterAnswer(head, backend, request, tried, startedAt);
        if (!next) {
          backend.passive.recordSuccess();
          return { backend, exchange, head, lease };
        }
        exchange.discard();
        lease.release();
        backend = next;
      } catch (err) {
        lease.release();
        this.current = null;
        // No exchange: the gateway's own failure, not the backend's (the caller answers 500).
        if (!exchange) throw err;
        if (request.abandoned()) return { error: null };
        last = toUpstreamError(err, backend.name);
        request.record?.attemptFailed(last.status);
        const verdict = this.#afterFailure(err, last, exchange, backend, request, tried, staleRetried, startedAt);
        if (verdict === 'stale') {
          staleRetried = true;
          tried.delete(backend);
          backend = this.#upstream?.pick(tried) ?? null;
          continue;
        }
        if (verdict === null) return { error: last };
        backend = verdict;
      }
    }
  }

  #noBackend(requestId: string): GatewayError {
    const error = new NoBackendError(this.#proxy.upstream);
    this.#log.error({ event: 'proxy.no_backend', code: error.code, upstream: this.#proxy.upstream, requestId }, error.message);
    return error;
  }

  /**
   * A backend answered with a status proxy_next_upstream names (http_500 … http_429): the next backend to try, or
   * null to pass this answer on — also when it was the last try, so the client gets the last backend's answer.
   */
  #afterAnswer(head: BackendResponseHead, backend: Backend, request: AttemptRequest, tried: Set<Backend>, startedAt: number): Backend | null {
    const condition = statusCondition(head.statusCode);
    if (condition === null || !this.#proxy.nextUpstream.includes(condition)) return null;
    if (!mayTryNext(this.#proxy, condition, { method: request.method, requestSent: true, replayable: request.replayable, tries: tried.size, startedAt })) return null;
    const next = this.#upstream?.pick(tried) ?? null;
    if (!next) return null;
    if (countsAsFailure(condition)) this.#recordFailure(backend);
    this.#log.warn({ event: 'proxy.backend_answer_retried', status: head.statusCode, backend: backend.name, next: next.name, requestId: request.requestId }, `backend ${backend.name} answered ${head.statusCode} (proxy_next_upstream ${condition}): trying ${next.name}`);
    return next;
  }

  /** What a failed try leads to: one more try on a stale connection, the next backend, or null (answer the error). */
  #afterFailure(
    err: unknown, error: GatewayError, exchange: BackendExchange, backend: Backend, request: AttemptRequest, tried: Set<Backend>,
    staleRetried: boolean, startedAt: number,
  ): 'stale' | Backend | null {
    const cause = (err as Error)?.message;
    const beforeSent = failedBeforeRequestSent(err);
    // A kept-alive connection that the backend closed as this request went out on it: one more try, on the same
    // backend if need be, and not a failure of the backend (nginx does the same for a cached connection).
    if (!staleRetried && staleConnectionFailure(err, exchange) && request.replayable && mayTryNext(this.#proxy, 'error', { method: request.method, requestSent: exchange.requestWritten, replayable: true, tries: 0, startedAt })) {
      this.#log.info({ event: 'proxy.stale_connection', code: error.code, backend: backend.name, requestId: request.requestId, cause }, `a kept-alive connection to ${backend.name} was closed under the request: retrying`);
      return 'stale';
    }
    this.#recordFailure(backend);
    // Nothing has gone to the client yet here. A request that never reached the backend (refused, connect timeout)
    // may go on whatever its method and body; one it may have seen only by nginx's rules (mayTryNext).
    const state = { method: request.method, requestSent: !beforeSent, replayable: request.replayable, tries: tried.size, startedAt };
    const next = mayTryNext(this.#proxy, failureCondition(error), state) ? (this.#upstream?.pick(tried) ?? null) : null;
    this.#log.warn({ event: 'proxy.backend_failed', code: error.code, backend: backend.name, requestId: request.requestId, retry: next !== null, cause }, error.message);
    return next;
  }

  #recordFailure(backend: Backend): void {
    this.#metrics.upstreamFailures.inc({ backend: backend.name });
    if (this.#upstream?.recordFailure(backend)) {
      this.#log.warn({ event: 'backend.ejected', backend: backend.name, forMs: backend.passive.failTimeoutMs }, `backend ${backend.name} ejected after ${backend.passive.maxFails} failure(s)`);
    }
  }
}
