import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Dispatcher } from 'undici';
import type { LocationSettings, ServerSettings } from '../config/settings.js';
import { ClientRequestError, GatewayError, NoBackendError, StoreUnavailableError, WriteBackError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Backend } from '../pool/backend.js';
import type { UpstreamPool } from '../pool/upstream-pool.js';
import { NO_SESSION, type RequestSession, type SessionService } from '../session/session-service.js';
import { parseWriteBack } from '../session/write-back.js';
import { BackendExchange, type BackendResponseHead } from './backend-exchange.js';
import { RequestBody } from './request-body.js';
import { sendGatewayError } from './error-response.js';
import { buildForwardHeaders } from './forward-headers.js';
import { acceptableRequestId, connectionTokensOf, isHopByHop, isSessionHeader, type ForwardContext } from './headers.js';
import { requestHeadOf } from './request-head.js';
import { forwardedTarget } from './request-uri.js';
import { LocationRouter } from './router.js';
import { failedBeforeRequestSent, toUpstreamError } from './upstream-errors.js';
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
  readonly #log: Logger;

  constructor(options: RequestHandlerOptions) {
    this.settings = options.settings;
    this.#router = new LocationRouter(options.settings);
    this.#pool = options.pool;
    this.#sessions = options.sessions;
    this.#log = options.log;
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

  /** Everything up to the choice of backend: shared by plain requests and WebSocket upgrades. */
  async prepare(req: IncomingMessage, location: LocationSettings): Promise<PreparedRequest> {
    const requestId = acceptableRequestId(req.headers['x-request-id']) ?? randomUUID();
    const sessionSettings = location.session;
    const secure = (req.socket as TLSSocket).encrypted === true || (sessionSettings.trustForwardedProto && forwardedHttps(req.headers['x-forwarded-proto']));
    let session = NO_SESSION;
    if (sessionSettings.enabled) {
      session = await this.#sessions.loadSession(req.headers.cookie, sessionSettings);
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
      this.#log.error({ err, event: 'proxy.internal_error' }, 'unexpected error on the request path');
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
    // Like nginx's lingering close: read and drop what the client is still sending, so it sees this answer instead of
    // a reset mid-upload; a body too large to be worth reading ends the connection instead.
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (!(declared <= LINGER_BYTES)) res.setHeader('connection', 'close');
    sendGatewayError(res, error.status, error.code, error.message);
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
        upstreamFailuresTotal.inc({ backend: backend.name });
        const ejected = upstream?.recordFailure(backend) ?? false;
        if (ejected) this.#log.warn({ event: 'backend.ejected', backend: backend.name, forMs: backend.passive.failTimeoutMs }, `backend ${backend.name} ejected after ${backend.passive.maxFails} failure(s)`);
        // Safe retry (docs/architecture.md §6): nothing of the request reached the backend (any method), or an idempotent request
        // failed before any response byte. Nothing has gone to the client yet here. A streamed body that was
        // (partly) consumed cannot be sent again: only a buffered one (or none) is replayed.
        const replayable = !hasBody || Buffer.isBuffer(body);
        const beforeSent = failedBeforeRequestSent(err);
        const retryable =
          proxy.nextUpstream.includes('error') &&
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
      await this.#respond(res, prepared, backend, exchange, head);
      return;
    }
  }

  async #respond(res: ServerResponse, prepared: PreparedRequest, backend: Backend, exchange: BackendExchange, head: BackendResponseHead): Promise<void> {
    const { location, requestId, session } = prepared;
    const finished = once(() => backend.inFlight--);
    let status = head.statusCode;
    let replacementBody: string | null = null;
    let setCookies: string[] | null = null;
    if (location.session.enabled) {
      try {
        const writeBack = parseWriteBack(head.headers, location.session.scope);
        if (writeBack) {
          const outcome = await this.#sessions.applyWriteBack(session, writeBack, location.session, backend.name, prepared.secure);
          if (outcome.setCookie) setCookies = [outcome.setCookie];
          if (outcome.result) this.#logCommit(outcome.result, writeBack.login, requestId, backend.name);
          if (outcome.ended) this.#log.info({ event: 'session.destroyed', reason: 'logout', sid: outcome.ended, requestId, backend: backend.name }, 'session destroyed, a new one started');
        } else if (session.stale) {
          // The cookie names a session that is gone: tell the browser to drop it.
          setCookies = [this.#sessions.expiredCookie(location.session, prepared.secure)];
        }
      } catch (err) {
        exchange.discard();
        finished();
        const error = err instanceof GatewayError ? err : new StoreUnavailableError('session write failed', { cause: err });
        const level = error instanceof WriteBackError ? 'error' : 'warn';
        this.#log[level]({ event: 'session.write_back_refused', code: error.code, backend: backend.name, requestId, cause: (err as Error).cause }, `write-back from backend ${backend.name} not applied: ${error.message}`);
        if (error.code === 'SG_LOGIN_REJECTED') {
          status = 409;
          replacementBody = `409 Conflict: login refused, ${error.message} (SG_LOGIN_REJECTED)\n`;
        } else {
          sendGatewayError(res, error.status, error.code, error.message, requestId);
          return;
        }
      }
    }
    if (res.destroyed) {
      // The client left while the write-back was applied: the session is saved, nobody is left to answer.
      exchange.discard();
      finished();
      return;
    }
    if (replacementBody !== null) {
      const headers = passOnHeaders(head, ['content-length', 'content-type', 'content-encoding', 'etag', 'last-modified']);
      headers.push('Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(Buffer.byteLength(replacementBody)), 'X-Gateway-Error', 'SG_LOGIN_REJECTED');
      res.writeHead(status, headers);
      res.end(replacementBody);
      return;
    }
    const headers = passOnHeaders(head);
    if (setCookies) for (const cookie of setCookies) headers.push('Set-Cookie', cookie);
    res.writeHead(status, head.statusText || undefined, headers);
    const untrack = trackEventStream(backend, head, exchange, res);
    exchange.streamTo(res, (err) => {
      untrack();
      finished();
      if (err && !res.writableFinished && !res.destroyed) {
        this.#log.warn({ event: 'proxy.response_aborted', backend: backend.name, requestId, cause: err.message }, 'response stream ended early');
      }
    });
  }

  #logCommit(result: { created: boolean; destroyed: boolean; handle: string; principal: string | null; evicted: string[]; duplicateLogin?: boolean }, login: string | null, requestId: string, backend: string): void {
    if (result.created) this.#log.info({ event: 'session.created', sid: result.handle, requestId, backend }, 'session created');
    if (login !== null) this.#log.info({ event: 'session.login', sid: result.handle, principal: result.principal, requestId, backend }, 'session bound to a principal');
    if (result.duplicateLogin) this.#log.info({ event: 'session.duplicate_login', sid: result.handle, principal: result.principal, evicted: result.evicted.length, requestId, backend }, 'login of a principal already signed in elsewhere');
    if (result.destroyed) this.#log.info({ event: 'session.destroyed', reason: 'logout', sid: result.handle, requestId, backend }, 'session destroyed');
    for (const sid of result.evicted) this.#log.info({ event: 'session.destroyed', reason: 'evicted', sid, principal: result.principal, requestId }, 'older session ended by the duplicate-login policy');
  }
}

function noop(): void {}

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

/** The backend's response head as passed on: hop-by-hop and X-Session-* fields removed, plus `drop` (lower-case). */
function passOnHeaders(head: BackendResponseHead, drop: readonly string[] = []): string[] {
  const out: string[] = [];
  const connectionTokens = connectionTokensOf(head.headers.connection);
  const raw = head.raw;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (isHopByHop(lower, connectionTokens) || isSessionHeader(lower) || drop.includes(lower)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/**
 * An SSE response (text/event-stream) outlives requests: it is counted with the backend's long-lived streams, and
 * moved out of in-flight accounting's way; a drain ends it after its grace period (drain.ts). Returns the untrack.
 */
function trackEventStream(backend: Backend, head: BackendResponseHead, exchange: BackendExchange, res: ServerResponse): () => void {
  const type = head.headers['content-type'];
  if (!String(Array.isArray(type) ? type[0] : (type ?? '')).toLowerCase().startsWith('text/event-stream')) return noop;
  const entry = {
    kind: 'sse' as const,
    close: () => {
      res.end();
      exchange.abort(new Error('event stream ended by a drain'));
    },
  };
  backend.longLived.add(entry);
  return () => backend.longLived.delete(entry);
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
