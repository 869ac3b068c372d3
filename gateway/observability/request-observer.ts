import { performance } from 'node:perf_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ServerSettings } from '../config/settings.js';
import { RequestSlot } from '../request-slot.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { RequestRecord, type LogVariableSource } from './request-record.js';

/** The label of each status class, made once. */
const STATUS_CLASSES: readonly string[] = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

/** Byte counts of a client connection already accounted to a request (or to the metrics). */
export interface ConnectionCounts {
  read: number;
  written: number;
  /** nginx $connection: a serial number of the connection in this process. */
  serial: number;
  /** nginx $connection_requests: requests on it so far. */
  requests: number;
}

/** Whatever writes access log lines (access-log.ts): told of each request once it is over. */
export interface RequestLogger {
  log(record: RequestRecord, bytes: { sent: number; received: number }, connection: ConnectionCounts): void;
}

/**
 * Where the request path reports to (docs/architecture.md §8): a RequestRecord per request, settled once when the
 * client's response closes — into the metrics and the access log. Bytes are counted on the client connection, so
 * heads, bodies, chunk framing and WebSocket traffic all add up to what the socket carried.
 */
export class RequestObserver {
  readonly metrics: GatewayMetrics;
  readonly #logger: RequestLogger | null;
  readonly #connections = new WeakMap<Socket, ConnectionCounts>();
  readonly #records = new RequestSlot<RequestRecord, IncomingMessage>('session-gateway.record');
  #serial = 0;

  readonly #responseClosed: (this: ServerResponse) => void;

  constructor(metrics: GatewayMetrics, logger: RequestLogger | null = null) {
    this.metrics = metrics;
    this.#logger = logger;
    const records = this.#records;
    const ended = (record: RequestRecord): void => this.#ended(record);
    this.#responseClosed = function (this: ServerResponse) {
      const record = records.get(this.req);
      if (record === undefined) return;
      ended(record);
      if (record.onAbandoned !== null && !this.writableFinished) record.onAbandoned();
    };
  }

  /** A proxy listener accepted a connection: what it carries outside requests (tunnels) is counted at its close. */
  connectionOpened(socket: Socket): void {
    this.metrics.clientConnectionsAccepted.inc();
    this.#countsOf(socket);
    // Deferred: a tunnel on this socket is settled as it closes (its line wants those bytes), then the rest is.
    socket.once('close', () => setImmediate(() => this.#settle(socket)));
  }

  /**
   * The listener got a request: its record, settled when `res` closes (answered in full, or given up by the client).
   * `server` is the listener's default server, whose access log has a request refused before a server is chosen.
   */
  begin(req: IncomingMessage, res: ServerResponse, server: ServerSettings): RequestRecord {
    const record = new RequestRecord(req, res, server);
    this.#records.set(req, record);
    // One function for every response (no closure, no once() wrapper per request): 'close' is emitted once.
    res.on('close', this.#responseClosed);
    return record;
  }

  /** A server block took the request: its record (begun by the listener, or now) is that server's. */
  adopt(req: IncomingMessage, res: ServerResponse, server: ServerSettings, variables: LogVariableSource): RequestRecord {
    const record = this.#records.get(req) ?? this.begin(req, res, server);
    record.server = server;
    record.variableSource = variables;
    return record;
  }

  /**
   * A WebSocket upgrade became a tunnel: its response object is done with, the request is over when the tunnel is
   * (nginx logs an upgraded connection when it closes, with status 101 and every byte it carried).
   */
  tunnelled(record: RequestRecord, ended: Promise<void>): void {
    record.tunnelled = true;
    void ended.then(() => {
      record.attemptEnded();
      this.#ended(record);
    });
  }

  #ended(record: RequestRecord): void {
    if (record.endedAt !== 0) return; // settled once: a tunnel's response object may close too
    record.endedAt = performance.now();
    const socket = record.req.socket;
    const counts = this.#countsOf(socket);
    counts.requests++;
    const bytes = this.#settle(socket);
    const m = this.metrics;
    const statusClass = STATUS_CLASSES[Math.floor(record.status / 100)] ?? `${Math.floor(record.status / 100)}xx`;
    m.requests.add([statusClass]);
    // A tunnel's lifetime (minutes) is no request latency: it is counted, its duration is not observed.
    if (!record.tunnelled) m.requestDuration.record([record.location?.proxy?.upstream ?? 'none', statusClass], record.durationSeconds);
    for (const a of record.attempts) {
      const upstream = a.backend.upstream;
      if (a.headerAt !== null && a.status !== null) m.backendResponses.add([upstream, a.backend.name, String(a.status)]);
      if (!(record.tunnelled && a.status === 101)) m.upstreamResponseDuration.record([upstream, a.backend.name], ((a.endedAt ?? record.endedAt) - a.startedAt) / 1000);
    }
    this.#logger?.log(record, bytes, counts);
  }

  /** Adds what the socket carried since last time to the byte counters; returns those bytes. */
  #settle(socket: Socket): { sent: number; received: number } {
    const counts = this.#countsOf(socket);
    const sent = socket.bytesWritten - counts.written;
    const received = socket.bytesRead - counts.read;
    counts.written = socket.bytesWritten;
    counts.read = socket.bytesRead;
    if (sent > 0) this.metrics.clientSentBytes.inc(sent);
    if (received > 0) this.metrics.clientReceivedBytes.inc(received);
    return { sent, received };
  }

  #countsOf(socket: Socket): ConnectionCounts {
    let counts = this.#connections.get(socket);
    if (!counts) {
      counts = { read: 0, written: 0, serial: ++this.#serial, requests: 0 };
      this.#connections.set(socket, counts);
    }
    return counts;
  }
}
