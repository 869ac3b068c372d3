import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Dispatcher } from 'undici';
import type { AccessControl, AccessRefusal } from '../access/access-control.js';
import type { AccessSettings } from '../access/access-settings.js';
import type { LocationSettings, ServerSettings } from '../config/settings.js';
import { BackendBadResponseError, ClientRequestError, GatewayError, NoBackendError, StoreUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Backend } from '../pool/backend.js';
import type { UpstreamPool } from '../pool/upstream-pool.js';
import { clientKeyOf } from '../session/creation-limiter.js';
import { NO_SESSION, type RequestSession, type SessionService } from '../session/session-service.js';
import { admitRequest, refusalHeaders } from './access-gate.js';
import { BackendExchange, type BackendResponseHead } from './backend-exchange.js';
import { RequestBody } from './request-body.js';
import { sendGatewayError } from './error-response.js';
import { buildForwardHeaders } from './forward-headers.js';
import { acceptableRequestId, type ForwardContext } from './headers.js';
import { requestHeadOf } from './request-head.js';
import { forwardedTarget } from './request-uri.js';
import { ResponseRelay } from './response-relay.js';
import { LocationRouter } from './router.js';
import { failedBeforeRequestSent, staleConnectionFailure, toUpstreamError } from './upstream-errors.js';
import { requestsTotal, retriesTotal, statusClass, upstreamFailuresTotal } from '../admin/metrics.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
/**
 * A request body up to this size (declared by Content-Length) is read before forwarding, so the request can be
 * replayed on another backend when the first attempt fails safely (docs/architecture.md §6). Larger ones stream and are retried
 * only when nothing of them was sent.
 */
const RETRY_BUFFER_BYTES = 64 * 1024;
/** A refused request body up to this size is read and dropped rather than cut off (see #refuse). */
const LINGER_BYTES = 16 * 1024 * 1024;

export interface RequestHandlerOptions {
  settings: ServerSettings;
  pool: UpstreamPool;
  sessions: SessionService;
  access: AccessControl;
  log: Logger;
}

/** Headers and context of one request, as the backend will see them. */
export interface PreparedRequest {
  requestId: string;
  location: LocationSettings;
  session: RequestSession;
  headers: Record<string, string | string[]>;
  path: string;
  secure: boolean;
}

/**
 * The request path of one server block (docs/architecture.md §2): strip client X-Session*, load the session, pick a backend,
 * forward with streaming bodies, apply the write-back before the response head goes out, stream the response.
 */
export class RequestHandler {
  readonly settings: ServerSettings;
  readonly #router: LocationRouter;
  readonly #pool: UpstreamPool;
  readonly #sessions: SessionService;
  readonly #access: AccessControl;
  readonly #log: Logger;
  readonly #relay: ResponseRelay;

  constructor(options: RequestHandlerOptions) {
    this.settings = options.settings;
    this.#router = new LocationRouter(options.settings);
    this.#pool = options.pool;
    this.#sessions = options.sessions;
    this.#access = options.access;
    this.#log = options.log;
    this.#relay = new ResponseRelay(options);
  }

  get log(): Logger {
    return this.#log;
  }

  get sessions(): SessionService {
    return this.#sessions;
  }

  get pool(): UpstreamPool {
    return this.#pool;
  }

  /** The location of a request, chosen on its normalised `$uri` (request-uri.ts). Throws ClientRequestError (400). */
  location(req: IncomingMessage): LocationSettings | null {
    return this.#router.match(requestHeadOf(req).uri.uri);
  }

  /**
   * allow/deny, auth_basic, limit_except, internal of the matched location (the server's own when none matched),
   * before the session is loaded: a refused request costs no store round trip. Resolves to null when the request may
   * go on; is null itself when nothing restricts it (most locations: no await on their path).
   */
  admit(req: IncomingMessage, location: LocationSettings | null): Promise<AccessRefusal | null> | null {
    const access: AccessSettings = location?.access ?? this.settings.access;
    return access.restricted ? admitRequest(this.#access, access, req, this.#log) : null;
  }

  /** Everything up to the choice of backend: shared by plain requests and WebSocket upgrades. */
  async prepare(req: IncomingMessage, location: LocationSettings): Promise<PreparedRequest> {
    const requestId = acceptableRequestId(req.headers['x-request-id']) ?? randomUUID();
    const sessionSettings = location.session;
    const secure = (req.socket as TLSSocket).encrypted === true || (sessionSettings.trustForwardedProto && forwardedHttps(req.headers['x-forwarded-proto']));
    let session = NO_SESSION;
    if (sessionSettings.enabled) {
      session = await this.#sessions.loadSession(req.headers.cookie, sessionSettings, clientKeyOf(clientAddress(req, sessionSettings.trustForwardedProto)));
      if (session.cookieForged) {
        this.#log.warn({ event: 'session.cookie_rejected', code: 'SG_COOKIE_INVALID', requestId, remote: req.socket.remoteAddress }, 'session cookie with a bad signature ignored');
      }
      if (session.expired !== null) this.#log.info({ event: 'session.expired', reason: session.expired, by: 'load', requestId }, `session expired (${session.expired})`);
    }
    const proxy = location.proxy!;
    const ctx: ForwardContext = {
      remoteAddress: req.socket.remoteAddress ?? '',
      scheme: secure ? 'https' : 'http',
      // $host: the validated host of the request line or Host header, else the server's first name (nginx).
      host: requestHeadOf(req).host || (this.settings.serverNames[0] ?? ''),
      requestId,
      proxyHost: proxy.upstream,
      requestUri: req.url ?? '/',
    };
    const headers = buildForwardHeaders(req, proxy, ctx, sessionSettings.enabled ? sessionSettings.cookieName : null);
    const token = this.#sessions.hydrate(session, sessionSettings);
    if (token !== null) headers['x-session'] = token;
    if (session.evicted) headers['x-session-status'] = 'evicted';
    const path = forwardedTarget(requestHeadOf(req).uri, location.path, proxy.uriPrefix);
    return { requestId, location, session, headers, path, secure };
  }

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    res.once('finish', () => requestsTotal.inc({ status_class: statusClass(res.statusCode) }));
    this.#handle(req, res).catch((err: unknown) => {
      this.#log.error({ err, event: 'proxy.internal_error', url: req.url }, 'unexpected error on the request path');
      sendGatewayError(res, 500, 'SG_INTERNAL', 'internal gateway error');
    });
  };

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let location: LocationSettings | null;
    try {
      location = this.location(req);
    } catch (err) {
      if (!(err instanceof ClientRequestError)) throw err;
      res.setHeader('connection', 'close');
      this.#refuse(req, res, err);
      return;
    }
    const admission = this.admit(req, location);
    const refusal = admission && (await admission);
    if (refusal) {
      this.#answerAndDrain(req, res, refusal.status, refusal.code, refusal.message, refusalHeaders(refusal));
      return;
    }
    if (!location || !location.proxy) {
      sendGatewayError(res, 404, 'SG_NO_LOCATION', 'no location matches this path');
      return;
    }
    const limit = location.clientMaxBodyBytes;
    const declared = req.headers['content-length'];
    if (limit > 0 && declared !== undefined && Number(declared) > limit) {
      this.#refuse(req, res, new ClientRequestError('SG_BODY_TOO_LARGE', `request body of ${declared} bytes is larger than client_max_body_size ${limit}`, 413));
      return;
    }
    let prepared: PreparedRequest;
    try {
      prepared = await this.prepare(req, location);
    } catch (err) {
      const error = err instanceof GatewayError ? err : new StoreUnavailableError('session load failed', { cause: err });
      this.#log.error({ event: 'session.load_failed', code: error.code, err: (err as Error).cause ?? err, url: req.url }, error.message);
      sendGatewayError(res, error.status, error.code, error.message);
      req.resume();
      return;
    }
    await this.#forward(req, res, prepared);
  }

  #refuse(req: IncomingMessage, res: ServerResponse, error: GatewayError): void {
    this.#log.warn({ event: 'proxy.client_refused', code: error.code, url: req.url, remote: req.socket.remoteAddress }, error.message);
    this.#answerAndDrain(req, res, error.status, error.code, error.message);
  }

  /** An answer before the request body was read (413, 401, 403, ...). */
  #answerAndDrain(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
    // Like nginx's lingering close: read and drop what the client is still sending, so it sees this answer instead of
    // a reset mid-upload; a body too large to be worth reading ends the connection instead.
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (!(declared <= LINGER_BYTES)) res.setHeader('connection', 'close');
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    sendGatewayError(res, status, code, message);
    req.resume();
  }

  async #forward(req: IncomingMessage, res: ServerResponse, prepared: PreparedRequest): Promise<void> {
    const { location, requestId } = prepared;
    const proxy = location.proxy!;
    const upstream = this.#pool.upstream(proxy.upstream);
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    let streamed: RequestBody | null = null;
    let body: Dispatcher.DispatchOptions['body'] = null;
    const declaredLength = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : Number.NaN;
    if (hasBody && declaredLength <= RETRY_BUFFER_BYTES) {
      // Small and of known size: keep it, so a safe retry can send it again (see RETRY_BUFFER_BYTES).
      try {
        body = await readWhole(req, declaredLength, location.clientBodyTimeoutMs);
      } catch (err) {
        if (err instanceof ClientRequestError) this.#refuse(req, res, err);
        return; // otherwise the client went away mid-body; nothing to answer
      }
    } else if (hasBody) {
      streamed = new RequestBody({ maxBytes: req.headers['content-length'] === undefined ? location.clientMaxBodyBytes : 0, clientTimeoutMs: location.clientBodyTimeoutMs, sendTimeoutMs: proxy.sendTimeoutMs });
      body = req.pipe(streamed);
      req.on('error', (err) => streamed?.destroy(err));
    }
    let exchange: BackendExchange | null = null;
    let clientGone = false;
    res.once('close', () => {
      if (res.writableFinished) return;
      clientGone = true;
      exchange?.abort(new Error('the client closed the connection'));
    });

    const tried = new Set<Backend>();
    const maxTries = proxy.nextUpstreamTries > 0 ? proxy.nextUpstreamTries : Number.POSITIVE_INFINITY;
    let staleRetried = false;
    for (;;) {
      const backend = upstream?.pick(tried) ?? null;
      if (tried.size > 0 && backend) retriesTotal.inc();
      if (!backend) {
        const error = tried.size === 0 ? new NoBackendError(proxy.upstream) : null;
        if (error) {
          this.#log.error({ event: 'proxy.no_backend', code: error.code, upstream: proxy.upstream, requestId }, error.message);
          sendGatewayError(res, error.status, error.code, error.message, requestId);
          req.resume();
        }
        return;
      }
      tried.add(backend);
      backend.inFlight++;
      exchange = new BackendExchange(backend.dispatcher, {
        path: prepared.path,
        method: req.method ?? 'GET',
        headers: prepared.headers,
        body,
        headersTimeout: proxy.readTimeoutMs,
        bodyTimeout: proxy.readTimeoutMs,
      });
      let head: BackendResponseHead;
      try {
        head = await exchange.head;
      } catch (err) {
        backend.inFlight--;
        if (streamed?.failure instanceof ClientRequestError) {
          this.#refuse(req, res, streamed.failure);
          return;
        }
        if (clientGone) return;
        const error = toUpstreamError(err, backend.name);
        const replayable = !hasBody || Buffer.isBuffer(body);
        // A kept-alive connection that the backend closed as this request went out on it: one more try, on the same
        // backend if need be, and not a failure of the backend (nginx does the same for a cached connection).
        const stale = !staleRetried && staleConnectionFailure(err, exchange) && (IDEMPOTENT.has(req.method ?? '') || !exchange.requestWritten) && replayable && proxy.nextUpstream.includes('error');
        if (stale) {
          staleRetried = true;
          tried.delete(backend);
          this.#log.info({ event: 'proxy.stale_connection', code: error.code, backend: backend.name, requestId, cause: (err as Error).message }, `a kept-alive connection to ${backend.name} was closed under the request: retrying`);
          continue;
        }
        upstreamFailuresTotal.inc({ backend: backend.name });
        const ejected = upstream?.recordFailure(backend) ?? false;
        if (ejected) this.#log.warn({ event: 'backend.ejected', backend: backend.name, forMs: backend.passive.failTimeoutMs }, `backend ${backend.name} ejected after ${backend.passive.maxFails} failure(s)`);
        // Safe retry (docs/architecture.md §6): nothing of the request reached the backend (any method), or an idempotent request
        // failed before any response byte. Nothing has gone to the client yet here. A streamed body that was
        // (partly) consumed cannot be sent again: only a buffered one (or none) is replayed. A response that cannot
        // be forwarded is nginx's `invalid_header`, retried only when proxy_next_upstream names it.
        const beforeSent = failedBeforeRequestSent(err);
        const badResponse = error instanceof BackendBadResponseError;
        const retryable =
          proxy.nextUpstream.includes(badResponse ? 'invalid_header' : 'error') &&
          tried.size < maxTries &&
          (beforeSent || (IDEMPOTENT.has(req.method ?? '') && error.status === 502)) &&
          (replayable || beforeSent);
        this.#log.warn({ event: 'proxy.backend_failed', code: error.code, backend: backend.name, requestId, retry: retryable, cause: (err as Error).message }, error.message);
        if (retryable && upstream?.pick(tried) !== null) continue;
        sendGatewayError(res, error.status, error.code, error.message, requestId);
        req.resume();
        return;
      }
      backend.passive.recordSuccess();
      await this.#relay.relay(res, prepared, backend, exchange, head, once(() => backend.inFlight--));
      return;
    }
  }
}

/**
 * The client's address: the connection's peer, or behind a trusted load balancer (`$session_trust_forwarded_proto
 * on`) the last X-Forwarded-For hop, the address the balancer itself saw (earlier hops are the client's own say).
 */
function clientAddress(req: IncomingMessage, trustForwarded: boolean): string | undefined {
  const peer = req.socket.remoteAddress;
  if (!trustForwarded) return peer;
  const header = req.headers['x-forwarded-for'];
  const last = (Array.isArray(header) ? header.join(',') : header)?.split(',').at(-1)?.trim();
  return last && isIP(last) !== 0 ? last : peer;
}

/** The first hop's scheme in X-Forwarded-Proto (`https, http` → https): what the load balancer in front saw. */
function forwardedHttps(value: string | string[] | undefined): boolean {
  const first = (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

/** Read a body of known, small size whole (for a replayable retry); a client that stalls gets 408. */
function readWhole(req: IncomingMessage, length: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let timer = setTimeout(stalled, timeoutMs);
    function stalled(): void {
      reject(new ClientRequestError('SG_CLIENT_TIMEOUT', `the client sent nothing of its request body for ${timeoutMs} ms (client_body_timeout)`, 408));
    }
    req.on('data', (chunk: Buffer) => {
      clearTimeout(timer);
      timer = setTimeout(stalled, timeoutMs);
      size += chunk.length;
      if (size <= length) chunks.push(chunk);
    });
    req.once('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    req.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.once('close', () => {
      clearTimeout(timer);
      if (!req.complete) reject(new Error('client closed the request mid-body'));
    });
  });
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
