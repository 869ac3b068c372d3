import type { ProxySettings } from '../config/settings.js';
import { BackendBadResponseError, NoBackendError, type GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import type { RequestRecord } from '../observability/request-record.js';
import type { Backend } from '../pool/backend.js';
import type { Lease } from '../pool/lease.js';
import type { Upstream } from '../pool/upstream-pool.js';
import type { BackendExchange, BackendResponseHead } from './backend-exchange.js';
import { failedBeforeRequestSent, staleConnectionFailure, toUpstreamError } from './upstream-errors.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

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
 * The tries of one request over an upstream's backends (docs/architecture.md §6), shared by plain requests and
 * WebSocket upgrades so both get the same connect timeout, max_conns queue (the backend's pool), passive failure
 * counting and retry rules. Each try holds a lease on its backend; a failed try releases it here.
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
    let staleRetried = false;
    let last: GatewayError | null = null;
    for (;;) {
      const backend = this.#upstream?.pick(tried) ?? null;
      // None left after a stale-connection retry (the backend stopped serving meanwhile): its failure is the answer.
      if (!backend) return { error: last ?? this.#noBackend(request.requestId) };
      if (tried.size > 0 || staleRetried) this.#metrics.retries.inc();
      tried.add(backend);
      request.record?.attemptStarted(backend);
      const lease = backend.lease();
      let exchange: BackendExchange | null = null;
      try {
        exchange = request.start(backend);
        this.current = exchange;
        const head = await exchange.head;
        request.record?.attemptAnswered(head.statusCode);
        backend.passive.recordSuccess();
        return { backend, exchange, head, lease };
      } catch (err) {
        lease.release();
        this.current = null;
        // No exchange: the gateway's own failure, not the backend's (the caller answers 500).
        if (!exchange) throw err;
        if (request.abandoned()) return { error: null };
        const verdict = this.#verdict(err, exchange, backend, request, tried, staleRetried);
        last = toUpstreamError(err, backend.name);
        request.record?.attemptFailed(last.status);
        if (verdict === 'stale') {
          staleRetried = true;
          tried.delete(backend);
          continue;
        }
        if (verdict === 'retry') continue;
        return { error: verdict };
      }
    }
  }

  #noBackend(requestId: string): GatewayError {
    const error = new NoBackendError(this.#proxy.upstream);
    this.#log.error({ event: 'proxy.no_backend', code: error.code, upstream: this.#proxy.upstream, requestId }, error.message);
    return error;
  }

  /** What a failed try leads to: one more try on a stale connection, a retry elsewhere, or the error to answer. */
  #verdict(err: unknown, exchange: BackendExchange, backend: Backend, request: AttemptRequest, tried: Set<Backend>, staleRetried: boolean): 'stale' | 'retry' | GatewayError {
    const proxy = this.#proxy;
    const error = toUpstreamError(err, backend.name);
    const cause = (err as Error)?.message;
    const idempotent = IDEMPOTENT.has(request.method);
    // A kept-alive connection that the backend closed as this request went out on it: one more try, on the same
    // backend if need be, and not a failure of the backend (nginx does the same for a cached connection).
    if (!staleRetried && staleConnectionFailure(err, exchange) && (idempotent || !exchange.requestWritten) && request.replayable && proxy.nextUpstream.includes('error')) {
      this.#log.info({ event: 'proxy.stale_connection', code: error.code, backend: backend.name, requestId: request.requestId, cause }, `a kept-alive connection to ${backend.name} was closed under the request: retrying`);
      return 'stale';
    }
    this.#metrics.upstreamFailures.inc({ backend: backend.name });
    if (this.#upstream?.recordFailure(backend)) {
      this.#log.warn({ event: 'backend.ejected', backend: backend.name, forMs: backend.passive.failTimeoutMs }, `backend ${backend.name} ejected after ${backend.passive.maxFails} failure(s)`);
    }
    // Safe retry (docs/architecture.md §6): nothing of the request reached the backend (any method), or an idempotent
    // request failed before any response byte. Nothing has gone to the client yet here. A streamed body that was
    // (partly) consumed cannot be sent again: only a buffered one (or none) is replayed. A response that cannot be
    // forwarded is nginx's `invalid_header`, retried only when proxy_next_upstream names it.
    const beforeSent = failedBeforeRequestSent(err);
    const maxTries = proxy.nextUpstreamTries > 0 ? proxy.nextUpstreamTries : Number.POSITIVE_INFINITY;
    const retryable =
      proxy.nextUpstream.includes(error instanceof BackendBadResponseError ? 'invalid_header' : 'error') &&
      tried.size < maxTries &&
      (beforeSent || (idempotent && error.status === 502)) &&
      (request.replayable || beforeSent);
    this.#log.warn({ event: 'proxy.backend_failed', code: error.code, backend: backend.name, requestId: request.requestId, retry: retryable, cause }, error.message);
    return retryable && this.#upstream?.pick(tried) !== null ? 'retry' : error;
  }
}
