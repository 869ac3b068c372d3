import type { ServerResponse } from 'node:http';
import { BackendBadResponseError, GatewayError, SessionRateLimitedError, StoreUnavailableError, WriteBackError } from '../errors.js';
import type { Logger } from '../log.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import type { Backend } from '../pool/backend.js';
import type { Lease } from '../pool/lease.js';
import type { UpstreamPool } from '../pool/upstream-pool.js';
import type { CommitOutcome, SessionService } from '../session/session-service.js';
import { setCookieName, setsSessionCookie } from '../session/cookie.js';
import { parseWriteBack, type WriteBack } from '../session/write-back.js';
import type { BackendExchange } from './backend-exchange.js';
import { sendGatewayError } from './error-response.js';
import { connectionTokensOf, isHopByHop, isSessionHeader } from './headers.js';
import type { PreparedRequest } from './request-handler.js';
import type { BackendResponseHead } from './response-head.js';
import { toUpstreamError } from './upstream-errors.js';
import { addHeaderFields } from './add-header.js';
import { absoluteLocation, rewriteLocation, rewriteRefresh, type RedirectContext } from './proxy-redirect.js';
import type { RedirectRule } from '../config/settings.js';

export interface ResponseRelayOptions {
  pool: UpstreamPool;
  sessions: SessionService;
  log: Logger;
  observer: { metrics: GatewayMetrics };
}

/** What the write-back decided about the answer: the cookies to add, or the 409 that replaces the backend's body. */
type WriteBackVerdict = { setCookies: readonly string[] } | { rejectedLogin: string } | null;
/** Most answers' verdict: nothing to add (only ever read). */
const NO_COOKIES: WriteBackVerdict = Object.freeze({ setCookies: Object.freeze([]) as readonly string[] });

/**
 * The response half of the request path (docs/architecture.md §2): apply the backend's write-back, then send its head
 * (minus hop-by-hop and X-Session-* fields, plus Set-Cookie) and stream its body. Every way out of here either
 * answers the client or ends its connection, and releases the request's lease on its backend once it is over.
 */
export class ResponseRelay {
  readonly #pool: UpstreamPool;
  readonly #sessions: SessionService;
  readonly #log: Logger;
  readonly #metrics: GatewayMetrics;

  constructor(options: ResponseRelayOptions) {
    this.#pool = options.pool;
    this.#sessions = options.sessions;
    this.#log = options.log;
    this.#metrics = options.observer.metrics;
  }

  /**
   * Synchronous (no promise) when the answer carries no write-back, as most do: nothing to wait for before its head
   * goes out. A promise when the write-back commits first.
   */
  relay(res: ServerResponse, prepared: PreparedRequest, backend: Backend, exchange: BackendExchange, head: BackendResponseHead, lease: Lease): Promise<void> | void {
    const verdict = this.#applyWriteBack(res, prepared, backend, head);
    if (verdict instanceof Promise) return verdict.then((v) => this.#send(res, prepared, backend, exchange, head, lease, v));
    this.#send(res, prepared, backend, exchange, head, lease, verdict);
  }

  #send(res: ServerResponse, prepared: PreparedRequest, backend: Backend, exchange: BackendExchange, head: BackendResponseHead, lease: Lease, verdict: WriteBackVerdict): void {
    const { requestId } = prepared;
    const stop = () => {
      exchange.discard();
      lease.release();
      prepared.record?.attemptEnded();
    };
    if (verdict === null || res.destroyed) return stop(); // answered already, or the client left (the session is saved)
    if ('rejectedLogin' in verdict) {
      stop();
      this.#rejectLogin(res, head, prepared, backend, verdict.rejectedLogin);
      return;
    }
    if (exchange.failure) {
      // The body broke before anything went to the client (it was read ahead while the write-back committed).
      stop();
      this.#backendFailed(res, backend, requestId, toUpstreamError(exchange.failure, backend.name), exchange.failure);
      return;
    }
    const headers = this.#passOn(head, prepared, backend, head.statusCode);
    for (const cookie of verdict.setCookies) headers.push('Set-Cookie', cookie);
    if (!this.#writeHead(res, backend, requestId, head.statusCode, head.statusText, headers)) return stop();
    trackEventStream(lease, head, exchange, res);
    exchange.streamTo(res, (err) => {
      lease.release();
      prepared.record?.attemptEnded();
      if (err && !res.writableFinished && !res.destroyed) {
        this.#log.warn({ event: 'proxy.response_aborted', backend: backend.name, requestId, cause: err.message }, 'response stream ended early');
      }
    });
  }

  /**
   * A backend's 101 to a WebSocket upgrade, its write-back applied exactly as on any response (the session commits; a
   * rotated id gets its Set-Cookie on the 101): the fields to send the client with the 101 — never an X-Session-*
   * field, never the backend's own session cookie — or null when the client got an error answer instead.
   */
  async upgradeHead(res: ServerResponse, prepared: PreparedRequest, backend: Backend, head: BackendResponseHead): Promise<string[] | null> {
    const verdict = await this.#applyWriteBack(res, prepared, backend, head);
    if (verdict === null || res.destroyed) return null;
    if ('rejectedLogin' in verdict) {
      this.#rejectLogin(res, head, prepared, backend, verdict.rejectedLogin);
      return null;
    }
    const headers = this.#passOn(head, prepared, backend, 101, ['content-length', 'transfer-encoding']);
    for (const cookie of verdict.setCookies) headers.push('Set-Cookie', cookie);
    return headers;
  }

  /** A login the store refused (duplicate-login policy): 409 instead of the backend's answer. */
  #rejectLogin(res: ServerResponse, head: BackendResponseHead, prepared: PreparedRequest, backend: Backend, reason: string): void {
    const { requestId } = prepared;
    const body = `409 Conflict: login refused, ${reason} (SG_LOGIN_REJECTED)\n`;
    const headers = this.#passOn(head, prepared, backend, 409, ['content-length', 'content-type', 'content-encoding', 'etag', 'last-modified']);
    headers.push('Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(Buffer.byteLength(body)), 'X-Gateway-Error', 'SG_LOGIN_REJECTED');
    if (this.#writeHead(res, backend, requestId, 409, 'Conflict', headers)) res.end(body);
  }

  /**
   * The backend's X-Session-* headers, applied before anything is sent; null when the client got an error already.
   * Without any, the verdict is there at once (no promise).
   */
  #applyWriteBack(res: ServerResponse, prepared: PreparedRequest, backend: Backend, head: BackendResponseHead): WriteBackVerdict | Promise<WriteBackVerdict> {
    const { location, session } = prepared;
    if (!location.session.enabled) return NO_COOKIES;
    try {
      const writeBack = parseWriteBack(head.headers, location.session.scope);
      if (writeBack) return this.#commit(res, prepared, backend, writeBack);
      // The cookie names a session that is gone: tell the browser to drop it.
      return session.stale ? { setCookies: [this.#sessions.expiredCookie(location.session, prepared.secure)] } : NO_COOKIES;
    } catch (err) {
      return this.#refused(res, prepared, backend, err);
    }
  }

  async #commit(res: ServerResponse, prepared: PreparedRequest, backend: Backend, writeBack: WriteBack): Promise<WriteBackVerdict> {
    const { location, requestId, session } = prepared;
    try {
      const outcome = await this.#sessions.applyWriteBack(session, writeBack, location.session, backend.name, prepared.secure);
      if (outcome.result) {
        this.#logCommit(outcome.result, writeBack.login, requestId, backend.name);
        prepared.record?.sessionKnown(outcome.result.destroyed ? null : outcome.result.handle, outcome.result.principal);
      }
      if (outcome.ended) this.#log.info({ event: 'session.destroyed', reason: 'logout', sid: outcome.ended, requestId, backend: backend.name }, 'session destroyed, a new one started');
      return outcome.setCookie ? { setCookies: [outcome.setCookie] } : NO_COOKIES;
    } catch (err) {
      return this.#refused(res, prepared, backend, err);
    }
  }

  /** A write-back the gateway did not apply: logged, and answered with its error (or the login's 409). */
  #refused(res: ServerResponse, prepared: PreparedRequest, backend: Backend, err: unknown): WriteBackVerdict {
    const { requestId } = prepared;
    const error = err instanceof GatewayError ? err : new StoreUnavailableError('session write failed', { cause: err });
    const level = error instanceof WriteBackError ? 'error' : 'warn';
    this.#log[level]({ event: 'session.write_back_refused', code: error.code, backend: backend.name, requestId, cause: (err as Error).cause }, `write-back from backend ${backend.name} not applied: ${error.message}`);
    if (error.code === 'SG_LOGIN_REJECTED') return { rejectedLogin: error.message };
    if (error instanceof SessionRateLimitedError) res.setHeader('retry-after', String(error.retryAfterSeconds));
    sendGatewayError(res, error.status, error.code, requestId);
    return null;
  }

  /**
   * Write the response head to the client. Node refuses some heads undici accepts (it validates every field again);
   * such a head is a response the gateway cannot forward, never a crash: 502 SG_BACKEND_BAD_RESPONSE instead.
   */
  #writeHead(res: ServerResponse, backend: Backend, requestId: string, status: number, reason: string, headers: string[]): boolean {
    try {
      res.writeHead(status, reason || undefined, headers);
      return true;
    } catch (err) {
      this.#backendFailed(res, backend, requestId, new BackendBadResponseError(`backend ${backend.name} sent a response head that cannot be forwarded: ${(err as Error).message}`, { cause: err }), err as Error);
      return false;
    }
  }

  /** A backend failure found after its head arrived, before anything was sent: counted, logged, answered. */
  #backendFailed(res: ServerResponse, backend: Backend, requestId: string, error: GatewayError, cause: Error): void {
    this.#metrics.upstreamFailures.inc({ backend: backend.name });
    this.#pool.upstream(backend.upstream)?.recordFailure(backend);
    this.#log.warn({ event: 'proxy.backend_failed', code: error.code, backend: backend.name, requestId, retry: false, cause: cause.message }, error.message);
    sendGatewayError(res, error.status, error.code, requestId);
  }

  /**
   * passOnHeaders with the location's proxy_hide_header, proxy_redirect and add_header (for the status the client
   * gets), and a log line for any Set-Cookie of the session cookie the backend sent (they are dropped).
   */
  #passOn(head: BackendResponseHead, prepared: PreparedRequest, backend: Backend, status: number, drop: readonly string[] = []): string[] {
    const { location, requestId, vars } = prepared;
    const cookieName = location.session.cookieName;
    const proxy = location.proxy!;
    const shadowing: string[] = [];
    const headers = passOnHeaders(head, cookieName, shadowing, drop.length === 0 ? proxy.hideHeaders : [...drop, ...proxy.hideHeaders]);
    if (proxy.redirects.length > 0) rewriteRedirects(headers, proxy.redirects, vars);
    if (shadowing.length > 0) {
      this.#log.warn({ event: 'session.backend_cookie_dropped', backend: backend.name, requestId, cookies: shadowing.map(setCookieName) },
        `backend ${backend.name} sent Set-Cookie for the session cookie "${cookieName}": dropped (only the gateway sets it)`);
    }
    return addHeaderFields(headers, location.addHeaders, status, vars.expand);
  }

  #logCommit(result: NonNullable<CommitOutcome['result']>, login: string | null, requestId: string, backend: string): void {
    if (result.created) this.#log.info({ event: 'session.created', sid: result.handle, requestId, backend }, 'session created');
    if (login !== null) this.#log.info({ event: 'session.login', sid: result.handle, principal: result.principal, requestId, backend }, 'session bound to a principal');
    if (result.duplicateLogin) this.#log.info({ event: 'session.duplicate_login', sid: result.handle, principal: result.principal, evicted: result.evicted.length, requestId, backend }, 'login of a principal already signed in elsewhere');
    if (result.destroyed) this.#log.info({ event: 'session.destroyed', reason: 'logout', sid: result.handle, requestId, backend }, 'session destroyed');
    for (const sid of result.evicted) this.#log.info({ event: 'session.destroyed', reason: 'evicted', sid, principal: result.principal, requestId }, 'older session ended by the duplicate-login policy');
  }
}

/**
 * The backend's response head as passed on: hop-by-hop and X-Session-* fields removed, plus `drop` (lower-case), and
 * any Set-Cookie of the session cookie's name (only the gateway sets that cookie; `shadowing` collects what was cut).
 * `Trailer` stays: RFC 9110 §6.6.2 makes it end to end, and the trailers it announces are forwarded.
 */
function passOnHeaders(head: BackendResponseHead, cookieName: string, shadowing: string[], drop: readonly string[] = []): string[] {
  const out: string[] = [];
  const connectionTokens = connectionTokensOf(head.headers.connection);
  const raw = head.raw;
  const lowerNames = head.lowerNames;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = lowerNames[i >> 1]!;
    if ((lower !== 'trailer' && isHopByHop(lower, connectionTokens)) || isSessionHeader(lower) || drop.includes(lower)) continue;
    if (lower === 'set-cookie' && setsSessionCookie(raw[i + 1]!, cookieName)) {
      shadowing.push(raw[i + 1]!);
      continue;
    }
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/** proxy_redirect over Location and Refresh fields in place; the last rewritten Location is made absolute (nginx). */
function rewriteRedirects(headers: string[], rules: readonly RedirectRule[], vars: RedirectContext): void {
  let kept = -1;
  for (let i = 0; i < headers.length; i += 2) {
    const lower = headers[i]!.toLowerCase();
    if (lower === 'refresh') headers[i + 1] = rewriteRefresh(headers[i + 1]!, rules, vars);
    if (lower !== 'location') continue;
    const rewritten = rewriteLocation(headers[i + 1]!, rules, vars);
    if (rewritten === null) continue;
    headers[i + 1] = rewritten;
    kept = i + 1;
  }
  if (kept === -1) return;
  // nginx writes the Location it keeps before every other field: ahead of the other Location fields here.
  const [name, value] = headers.splice(kept - 1, 2) as [string, string];
  const first = headers.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === 'location');
  headers.splice(first === -1 ? headers.length : first, 0, name, absoluteLocation(value, vars));
}

/**
 * An SSE response (text/event-stream) outlives requests: its lease moves from in flight to the backend's long-lived
 * streams, which a drain ends after its grace period (drain.ts).
 */
function trackEventStream(lease: Lease, head: BackendResponseHead, exchange: BackendExchange, res: ServerResponse): void {
  const type = head.headers['content-type'];
  if (!String(Array.isArray(type) ? type[0] : (type ?? '')).toLowerCase().startsWith('text/event-stream')) return;
  lease.promote({
    kind: 'sse',
    close: () => {
      res.end();
      exchange.abort(new Error('event stream ended by a drain'));
    },
  });
}
