import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { UpstreamPool } from '../pool/upstream-pool.js';
import { registerBackendGauges } from './backend-metrics.js';
import { HotCounter, HotHistogram } from './hot-metrics.js';
import { gatewayVersion } from '../version.js';
import { registerClusterSessionMetrics, SessionEventMetrics, type ClusterStoreSource } from './session-metrics.js';

/**
 * What the scrape-time gauges read. The composition root sets them once it has built the parts (the pool is a
 * function: a reload replaces it).
 */
export interface MetricsSources {
  pool: () => UpstreamPool | null;
  /** Open client connections per proxy listener (`host:port`). */
  clientConnections: () => Array<{ listen: string; open: number }>;
  /** The configuration generation this process serves (1 at start, +1 per reload). */
  generation: () => number;
  /** The store whose store-wide numbers this gateway exports (docs/architecture.md §8). */
  store: () => ClusterStoreSource | null;
}

/** Request durations: a proxied request takes from a millisecond to a minute (proxy_read_timeout 60 s). */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Store commands: a memory store answers in microseconds, Redis in a fraction of a millisecond to a few. */
const STORE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/**
 * The Prometheus metrics of one gateway process (docs/architecture.md §8): created by the composition root and handed
 * to what records into it, so two gateways in one process (tests) never share counts. Names are `session_gateway_*`
 * in base units (seconds, bytes) and pass `promtool check metrics`; Node's process metrics keep their standard names.
 * Every metric says how a master sums its workers' copies (`aggregator`, prom-client's AggregatorRegistry).
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests: HotCounter<'status_class'>;
  readonly requestDuration: HotHistogram<'upstream' | 'status_class'>;
  readonly upstreamResponseDuration: HotHistogram<'upstream' | 'backend'>;
  readonly backendResponses: HotCounter<'upstream' | 'backend' | 'code'>;
  readonly upstreamFailures: Counter<'backend'>;
  readonly retries: Counter;
  readonly clientConnectionsAccepted: Counter;
  readonly clientReceivedBytes: HotCounter;
  readonly clientSentBytes: HotCounter;
  readonly healthChecks: Counter<'upstream' | 'backend' | 'result'>;
  readonly storeDuration: HotHistogram<'store' | 'operation'>;
  readonly storeErrors: Counter<'store' | 'operation'>;
  readonly sessions: SessionEventMetrics;
  readonly accessLogDropped: Counter<'path'>;
  #sources: MetricsSources = { pool: () => null, clientConnections: () => [], generation: () => 1, store: () => null };

  constructor(options: { version?: string } = {}) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters (promtool refuses them); their per-type twins (nodejs_active_handles{type}) stay.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    this.requests = new HotCounter({ name: 'session_gateway_requests_total', help: 'Responses sent to clients, by status class (2xx, 3xx, 4xx, 5xx; 499: the client left first).', labelNames: ['status_class'], registers });
    this.requestDuration = new HotHistogram({
      name: 'session_gateway_request_duration_seconds', help: 'Time from a request\'s head to the last byte of its response (nginx $request_time), by upstream ("none" when no proxy_pass answered) and status class.',
      labelNames: ['upstream', 'status_class'], buckets: REQUEST_BUCKETS, registers,
    });
    this.upstreamResponseDuration = new HotHistogram({
      name: 'session_gateway_upstream_response_duration_seconds', help: 'Time from sending a request to a backend to the end of its response (nginx $upstream_response_time), every attempt.',
      labelNames: ['upstream', 'backend'], buckets: REQUEST_BUCKETS, registers,
    });
    this.backendResponses = new HotCounter({ name: 'session_gateway_backend_responses_total', help: 'Responses received from each backend, by status code.', labelNames: ['upstream', 'backend', 'code'], registers });
    this.upstreamFailures = new Counter({ name: 'session_gateway_upstream_failures_total', help: 'Failed attempts to a backend (refused, reset, timeout, unforwardable response), by backend.', labelNames: ['backend'], registers });
    this.retries = new Counter({ name: 'session_gateway_retries_total', help: 'Requests tried again on another backend (only when safe, docs/architecture.md §6).', registers });
    this.clientConnectionsAccepted = new Counter({ name: 'session_gateway_client_connections_accepted_total', help: 'Client connections accepted by the proxy listeners.', registers });
    this.clientReceivedBytes = new HotCounter({ name: 'session_gateway_client_received_bytes_total', help: 'Bytes read from clients (request heads and bodies, WebSocket traffic).', registers });
    this.clientSentBytes = new HotCounter({ name: 'session_gateway_client_sent_bytes_total', help: 'Bytes written to clients (response heads and bodies, WebSocket traffic).', registers });
    this.healthChecks = new Counter({ name: 'session_gateway_health_checks_total', help: 'Active health checks run by this gateway, by backend and result (success: a 2xx in time).', labelNames: ['upstream', 'backend', 'result'], registers });
    this.storeDuration = new HotHistogram({
      name: 'session_gateway_store_operation_duration_seconds', help: 'Latency of session store operations as the gateway sees them (one Redis round trip or script each), by operation.',
      labelNames: ['store', 'operation'], buckets: STORE_BUCKETS, registers,
    });
    this.storeErrors = new Counter({ name: 'session_gateway_store_operation_errors_total', help: 'Session store operations that failed (store unreachable, timeout), by operation.', labelNames: ['store', 'operation'], registers });
    this.accessLogDropped = new Counter({ name: 'session_gateway_access_log_dropped_lines_total', help: 'Access log lines dropped because the file could not keep up (its buffer was full).', labelNames: ['path'], registers });
    this.sessions = new SessionEventMetrics(this.registry);
    this.#registerScraped(options.version ?? gatewayVersion());
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition of every metric (GET /metrics). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** Tell the scrape-time gauges where to read (the composition root, once the parts exist). */
  watch(sources: Partial<MetricsSources>): void {
    this.#sources = { ...this.#sources, ...sources };
  }

  #registerScraped(version: string): void {
    const registers = [this.registry];
    const sources = () => this.#sources;
    new Gauge({
      name: 'session_gateway_build_info', help: 'Always 1: the gateway\'s version and the Node.js it runs on, as labels.',
      labelNames: ['version', 'nodejs'], registers, aggregator: 'first',
    }).set({ version, nodejs: process.versions.node }, 1);
    new Gauge({
      name: 'session_gateway_config_generation', help: 'The configuration generation served: 1 at start, one more per reload.', registers, aggregator: 'max',
      collect() {
        this.set(sources().generation());
      },
    });
    new Gauge({
      name: 'session_gateway_client_connections', help: 'Client connections open on each proxy listener (keep-alive and WebSocket ones included).',
      labelNames: ['listen'], registers,
      collect() {
        this.reset();
        for (const l of sources().clientConnections()) this.set({ listen: l.listen }, l.open);
      },
    });
    registerBackendGauges(this.registry, () => sources().pool());
    registerClusterSessionMetrics(this.registry, () => sources().store());
  }
}
