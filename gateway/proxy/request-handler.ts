import { isIP } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { AccessControl, AccessRefusal } from '../access/access-control.js';
import type { AccessSettings } from '../access/access-settings.js';
import type { LocationSettings, ServerSettings } from '../config/settings.js';
import { ClientRequestError, GatewayError, StoreUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import type { RequestObserver } from '../observability/request-observer.js';
import type { RequestRecord } from '../observability/request-record.js';
import type { UpstreamPool } from '../pool/upstream-pool.js';
import { clientKeyOf } from '../session/creation-limiter.js';
import { NO_SESSION, type RequestSession, type SessionService } from '../session/session-service.js';
import { admitRequest, refusalHeaders } from './access-gate.js';
import { BackendAttempts } from './backend-attempts.js';
import { BackendExchange } from './backend-exchange.js';
import { RequestBody } from './request-body.js';
import { sendGatewayError } from './error-response.js';
import { requestIdOf } from './request-id.js';
import { buildForwardHeaders } from './forward-headers.js';
import { alwaysFields, keepForOwnAnswer } from './add-header.js';
import type { RedirectContext } from './proxy-redirect.js';
import { RequestContext } from './request-context.js';
import { requestHeadOf } from './request-head.js';
import { byteString, escapeUriPath, forwardedTarget } from './request-uri.js';
import { RequestVariables } from './request-variables.js';
import { ResponseRelay } from './response-relay.js';
import { sendReturn, sendTrailingSlashRedirect } from './return-response.js';
import { LocationRouter, type RouteMatch } from './router.js';
import { RequestSlot } from '../request-slot.js';

const routes = new RequestSlot<RouteMatch | null, IncomingMessage>('session-gateway.route');
const variables = new RequestSlot<RequestVariables, IncomingMessage>('session-gateway.variables');

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
  /** Metrics and access log (docs/architecture.md §8). */
  observer: RequestObserver;
}

/** Headers and context of one request, as the backend will see them. */
export interface PreparedRequest {
  requestId: string;
  location: LocationSettings;
  session: RequestSession;
  headers: Record<string, string | string[]>;
  path: string;
  secure: boolean;
  /** Variables of this request (proxy_redirect, add_header) and the origin a rewritten Location is made absolute with. */
  vars: RedirectContext;
  /** What the metrics and the access log learn of this request (absent on a WebSocket upgrade). */
  record?: RequestRecord;
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
  readonly #observer: RequestObserver;

  constructor(options: RequestHandlerOptions) {
    this.settings = options.settings;
    this.#router = new LocationRouter(options.settings);
    this.#pool = options.pool;
    this.#sessions = options.sessions;
    this.#access = options.access;
    this.#log = options.log;
    this.#relay = new ResponseRelay(options);
    this.#observer = options.observer;
  }

  get metrics(): GatewayMetrics {
    return this.#observer.metrics;
  }

  /** An upgrade request's record (upgrade.ts): metrics and the access log see it as they see any request. */
  observeUpgrade(req: IncomingMessage, res: ServerResponse): RequestRecord {
    return this.#observer.adopt(req, res, this.settings, this);
  }

  /** The upgrade became a tunnel: its record is settled when the tunnel ends. */
  tunnelled(record: RequestRecord, ended: Promise<void>): void {
    this.#observer.tunnelled(record, ended);
  }

  /** For the access log, once the response is over: a request refused for its head may have no variables. */
  logVariables(req: IncomingMessage): RequestVariables | null {
    try {
      return this.variables(req);
    } catch {
      try {
        return this.variables(req, false);
      } catch {
        return null;
      }
    }
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
    const route = this.route(req);
    return route && !route.redirect ? route.location : null;
  }

  /** The location choice with its regex captures and nginx's trailing-slash redirect (router.ts), once per request. */
  route(req: IncomingMessage): RouteMatch | null {
    let route = routes.get(req);
    if (route === undefined) {
      route = this.#router.route(requestHeadOf(req).uri.uri);
      routes.set(req, route);
    }
    return route;
  }

  /** nginx's variables for this request (request-variables.ts), made once; `routed` false before a location is chosen. */
  variables(req: IncomingMessage, routed = true): RequestVariables {
    let vars = variables.get(req);
    if (!vars) {
      const route = routed ? this.route(req) : null;
      vars = new RequestVariables({
        req, head: requestHeadOf(req), server: this.settings, locationCaptures: route?.captures ?? null,
        proxyHost: route?.location.proxy?.upstream ?? '', sets: route?.location.sets ?? this.settings.sets,
      });
      variables.set(req, vars);
    }
    return vars;
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

  /** The request's variables, as `proxy_set_header`, `proxy_redirect` and `add_header` expand them. */
  context(req: IncomingMessage, location: LocationSettings, requestId: string): RequestContext {
    return new RequestContext(req, location, requestId, this.variables(req), this.settings.serverName);
  }

  /** Everything up to the choice of backend: shared by plain requests and WebSocket upgrades. */
  async prepare(req: IncomingMessage, location: LocationSettings, id?: string): Promise<PreparedRequest> {
    const requestId = id ?? requestIdOf(req);
    const context = this.context(req, location, requestId);
    const session = location.session.enabled ? await this.#loadSession(req, location.session) : NO_SESSION;
    return this.#prepared(req, location, requestId, context, session);
  }

  /** The session named by the request's cookie (a promise of the store's; no async layer of its own). */
  #loadSession(req: IncomingMessage, settings: LocationSettings['session']): Promise<RequestSession> {
    return this.#sessions.loadSession(req.headers.cookie, settings, clientKeyOf(clientAddress(req, settings.trustForwardedProto)));
  }

  /** prepare's second half, once the session is known: log what the load found, build the backend's head. */
  #prepared(req: IncomingMessage, location: LocationSettings, requestId: string, context: RequestContext, session: RequestSession): PreparedRequest {
    const sessionSettings = location.session;
    if (sessionSettings.enabled) {
      if (session.cookieForged) {
        this.#log.warn({ event: 'session.cookie_rejected', code: 'SG_COOKIE_INVALID', requestId, remote: req.socket.remoteAddress }, 'session cookie with a bad signature ignored');
      }
      if (session.expired !== null) this.#log.info({ event: 'session.expired', reason: session.expired, by: 'load', requestId }, `session expired (${session.expired})`);
    }
    const proxy = location.proxy!;
    const headers = buildForwardHeaders(req, proxy, context.ctx, sessionSettings.enabled ? sessionSettings.cookieName : null);
    const token = this.#sessions.hydrate(session, sessionSettings);
    if (token !== null) headers['x-session'] = token;
    if (session.evicted) headers['x-session-status'] = 'evicted';
    const path = forwardedTarget(requestHeadOf(req).uri, location.path, proxy.uriPrefix);
    return { requestId, location, session, headers, path, secure: context.secure, vars: context };
  }

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const record = this.#observer.adopt(req, res, this.settings, this);
    this.#handle(req, res, record).catch((err: unknown) => {
      this.#log.error({ err, event: 'proxy.internal_error', requestId: requestIdOf(req), url: req.url }, 'unexpected error on the request path');
      sendGatewayError(res, 500, 'SG_INTERNAL');
    });
  };

  /**
   * nginx's phases before access control, for plain requests and upgrades alike (ngx_http_core_find_config_phase and
   * the rewrite phases): a server-level `return` (before any location is chosen); then, for the location found, an
   * `internal` one is left to the access phase's 404, a declared body over client_max_body_size is a 413, then the
   * trailing-slash 301, then the location's `return`. True when one of them answered. Throws ClientRequestError (400)
   * for a request-target nginx refuses.
   */
  rewritePhase(req: IncomingMessage, res: ServerResponse): boolean {
    const head = requestHeadOf(req);
    const serverName = this.settings.serverName;
    if (this.settings.return) {
      sendReturn(res, { req, head, serverName, redirect: this.settings.redirect }, this.settings.return, this.variables(req, false), this.settings.addHeaders);
      return true;
    }
    const route = this.route(req);
    const location = route?.location ?? null;
    const vars = this.variables(req);
    // add_header … always reaches the gateway's own answers too (a 403, a 502).
    if (location && location.addHeaders.length > 0) keepForOwnAnswer(res, alwaysFields(location.addHeaders, this.context(req, location, requestIdOf(req)).expand));
    else if (!location && this.settings.addHeaders.length > 0) keepForOwnAnswer(res, alwaysFields(this.settings.addHeaders, (t) => vars.expand(t)));
    if (!location || location.access.internal) return false;
    const limit = location.clientMaxBodyBytes;
    const declared = req.headers['content-length'];
    if (limit > 0 && declared !== undefined && Number(declared) > limit) {
      this.#refuse(req, res, new ClientRequestError('SG_BODY_TOO_LARGE', `request body of ${declared} bytes is larger than client_max_body_size ${limit}`, 413));
      return true;
    }
    if (route?.redirect) {
      const o = { req, head, serverName, redirect: route.location.redirect };
      sendTrailingSlashRedirect(res, o, escapeUriPath(byteString(route.location.path)), route.location.addHeaders, vars);
      return true;
    }
    if (location.return) {
      sendReturn(res, { req, head, serverName, redirect: location.redirect }, location.return, vars, location.addHeaders);
      return true;
    }
    return false;
  }

  async #handle(req: IncomingMessage, res: ServerResponse, record: RequestRecord): Promise<void> {
    try {
      if (this.rewritePhase(req, res)) {
        record.location = this.location(req);
        return;
      }
    } catch (err) {
      if (!(err instanceof ClientRequestError)) throw err;
      if (res.headersSent) return;
      res.setHeader('connection', 'close');
      this.#refuse(req, res, err);
      return;
    }
    const location = record.location = this.location(req);
    const admission = this.admit(req, location);
    const refusal = admission && (await admission);
    if (refusal) {
      this.#answerAndDrain(req, res, refusal.status, refusal.code, refusalHeaders(refusal));
      return;
    }
    if (!location || !location.proxy) {
      sendGatewayError(res, 404, 'SG_NO_LOCATION');
      return;
    }
    let prepared: PreparedRequest;
    try {
      // prepare's steps inline: awaiting the store's own promise saves the microtask turns of another async layer.
      const requestId = requestIdOf(req);
      const context = this.context(req, location, requestId);
      const session = location.session.enabled ? await this.#loadSession(req, location.session) : NO_SESSION;
      prepared = this.#prepared(req, location, requestId, context, session);
    } catch (err) {
      const error = err instanceof GatewayError ? err : new StoreUnavailableError('session load failed', { cause: err });
      this.#log.error({ event: 'session.load_failed', code: error.code, requestId: requestIdOf(req), err: (err as Error).cause ?? err, url: req.url }, error.message);
      sendGatewayError(res, error.status, error.code);
      req.resume();
      return;
    }
    prepared.record = record;
    record.requestId = prepared.requestId;
    record.sessionKnown(prepared.session.session?.handle ?? null, prepared.session.session?.principal ?? null);
    await this.#forward(req, res, prepared);
  }

  #refuse(req: IncomingMessage, res: ServerResponse, error: GatewayError): void {
    this.#log.warn({ event: 'proxy.client_refused', code: error.code, requestId: requestIdOf(req), url: req.url, remote: req.socket.remoteAddress }, error.message);
    this.#answerAndDrain(req, res, error.status, error.code);
  }

  /** An answer before the request body was read (413, 401, 403, ...). */
  #answerAndDrain(req: IncomingMessage, res: ServerResponse, status: number, code: string, headers: Record<string, string> = {}): void {
    // Like nginx's lingering close: read and drop what the client is still sending, so it sees this answer instead of
    // a reset mid-upload; a body too large to be worth reading ends the connection instead.
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (!(declared <= LINGER_BYTES)) res.setHeader('connection', 'close');
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    sendGatewayError(res, status, code);
    req.resume();
  }

  async #forward(req: IncomingMessage, res: ServerResponse, prepared: PreparedRequest): Promise<void> {
    const { location, requestId } = prepared;
    const proxy = location.proxy!;
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    let streamed: RequestBody | null = null;
    let body: Dispatcher.DispatchOptions['body'] = null;
    const declaredLength = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : Number.NaN;
    // The body is wanted now: a client that asked first gets its 100 Continue (the listener sends none by itself).
    if (hasBody && req.httpVersion === '1.1' && /\b100-continue\b/i.test(req.headers.expect ?? '')) res.writeContinue();
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
    const attempts = new BackendAttempts(this.#pool.upstream(proxy.upstream), proxy, this.#log, this.#observer.metrics);
    let clientGone = false;
    const abandoned = (): void => {
      clientGone = true;
      attempts.current?.abort(new Error('the client closed the connection'));
    };
    // The observer's 'close' listener calls it (request-record.ts); without a record, a listener of its own.
    if (prepared.record) prepared.record.onAbandoned = abandoned;
    else res.once('close', () => res.writableFinished || abandoned());
    const outcome = await attempts.run({
      method: req.method ?? 'GET',
      requestId,
      replayable: !hasBody || Buffer.isBuffer(body),
      start: (backend) =>
        new BackendExchange(backend.dispatcher, {
          path: prepared.path,
          method: req.method ?? 'GET',
          headers: prepared.headers,
          body,
          headersTimeout: proxy.readTimeoutMs,
          connectTimeout: proxy.connectTimeoutMs,
          bodyTimeout: proxy.readTimeoutMs,
          slots: backend.slots,
        }),
      abandoned: () => clientGone || streamed?.failure instanceof ClientRequestError,
      record: prepared.record,
    });
    if ('error' in outcome) {
      if (streamed?.failure instanceof ClientRequestError) this.#refuse(req, res, streamed.failure);
      else if (outcome.error && !clientGone) {
        sendGatewayError(res, outcome.error.status, outcome.error.code, requestId);
        req.resume();
      }
      return;
    }
    const { backend, exchange, head, lease } = outcome;
    try {
      const committing = this.#relay.relay(res, prepared, backend, exchange, head, lease);
      if (committing) await committing;
    } catch (err) {
      // The relay releases the lease when the response is over; a throw on its way must not leave the count up.
      exchange.abort();
      lease.release();
      throw err;
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
