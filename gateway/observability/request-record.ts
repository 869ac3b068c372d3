import { performance } from 'node:perf_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocationSettings, ServerSettings } from '../config/settings.js';
import type { Backend } from '../pool/backend.js';
import type { RequestVariables } from '../proxy/request-variables.js';

/** One try of a request on a backend (nginx keeps one entry per try in $upstream_addr, $upstream_status, …). */
export interface UpstreamAttempt {
  backend: Backend;
  /** performance.now() when the try started, when the head arrived, when the response ended (or the try failed). */
  startedAt: number;
  headerAt: number | null;
  endedAt: number | null;
  /** The backend's status, or the one the gateway made of a failed try (502, 504); null while waiting. */
  status: number | null;
  /** The try's exchange with the backend, read only by the access log; null until it started. */
  exchange: UpstreamTraffic | null;
}

/** What a try's exchange (proxy/backend-exchange.ts) tells of its connection. */
export interface UpstreamTraffic {
  /** performance.now() when the request went out on a connection; 0 when it never did. */
  readonly boundAt: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

/** The request path's side of $remote_addr, $uri, $http_NAME …: one object per server, not a closure per request. */
export interface LogVariableSource {
  logVariables(req: IncomingMessage): RequestVariables | null;
}

/**
 * What the request path learned about one request, for the metrics and the access log (docs/architecture.md §8).
 * The request handler fills it in as it goes; the observer reads it once, when the client's response closes.
 */
export class RequestRecord {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The server block that answers (the listener's default until one is chosen by Host). */
  server: ServerSettings;
  /** performance.now() at the request's head. */
  readonly startedAt = performance.now();
  location: LocationSettings | null = null;
  requestId: string | null = null;
  /** The session's non-secret handle (the JWT `sid`) and principal, once known: loaded, or created by the write-back. */
  sessionHandle: string | null = null;
  principal: string | null = null;
  readonly attempts: UpstreamAttempt[] = [];
  /** Set when the response closes. */
  endedAt = 0;
  /**
   * Called when the client's response closes before it finished (the client left): the request path's abort of its
   * backend try. Kept here so that the observer's one 'close' listener serves both (a second one per request costs
   * its once() wrapper and a copy of the listener array at every close).
   */
  onAbandoned: (() => void) | null = null;
  /** Who computes the request's nginx variables (its server's handler), asked only when a log format needs them. */
  variableSource: LogVariableSource | null = null;

  constructor(req: IncomingMessage, res: ServerResponse, server: ServerSettings) {
    this.req = req;
    this.res = res;
    this.server = server;
  }

  attemptStarted(backend: Backend): void {
    this.attempts.push({ backend, startedAt: performance.now(), headerAt: null, endedAt: null, status: null, exchange: null });
  }

  /** The try's exchange began (its connection, and the bytes on it, are read when the line is written). */
  attemptExchange(exchange: UpstreamTraffic): void {
    const a = this.attempts.at(-1);
    if (a) a.exchange = exchange;
  }

  /** The backend's response head arrived. */
  attemptAnswered(status: number): void {
    const a = this.attempts.at(-1);
    if (!a) return;
    a.headerAt = performance.now();
    a.status = status;
  }

  /** The try failed with what the gateway makes of it (502 refused/reset, 504 timeout). */
  attemptFailed(status: number): void {
    const a = this.attempts.at(-1);
    if (!a) return;
    a.endedAt = performance.now();
    a.status ??= status;
  }

  /** The backend's response is over (streamed to the client, or discarded). */
  attemptEnded(): void {
    const a = this.attempts.at(-1);
    if (a && a.endedAt === null) a.endedAt = performance.now();
  }

  sessionKnown(handle: string | null, principal: string | null): void {
    this.sessionHandle = handle;
    this.principal = principal;
  }

  /** The request's nginx variables for the access log; null when its head is too broken to have any. */
  variables(): RequestVariables | null {
    return this.variableSource?.logVariables(this.req) ?? null;
  }

  /** A WebSocket tunnel's 101, which goes out on the raw socket rather than through `res`. */
  tunnelled = false;

  /** nginx's $status: what the client got, 499 when it left before a response head went out. */
  get status(): number {
    if (this.tunnelled) return 101;
    return this.res.headersSent ? this.res.statusCode : 499;
  }

  /** Seconds from the request's head to the close of its response (nginx $request_time). */
  get durationSeconds(): number {
    return ((this.endedAt || performance.now()) - this.startedAt) / 1000;
  }
}
