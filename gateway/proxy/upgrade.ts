import { ServerResponse, validateHeaderName, validateHeaderValue, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { LocationSettings, ProxySettings } from '../config/settings.js';
import { GatewayError, StoreUnavailableError } from '../errors.js';
import type { Backend } from '../pool/backend.js';
import type { RequestRecord } from '../observability/request-record.js';
import type { Lease } from '../pool/lease.js';
import { refusalHeaders } from './access-gate.js';
import { BackendAttempts } from './backend-attempts.js';
import { BackendExchange, type BackendResponseHead } from './backend-exchange.js';
import { sendGatewayError } from './error-response.js';
import { requestIdOf } from './request-id.js';
import type { PreparedRequest, RequestHandler } from './request-handler.js';
import { ResponseRelay } from './response-relay.js';
import { WebSocketRelay } from './websocket-relay.js';

export { closeFrame } from './websocket-relay.js';

/**
 * WebSocket upgrades (docs/architecture.md §2), on the same footing as plain requests: the session is hydrated on the
 * upgrade request, the upgrade goes to the backend through its own connection pool (connect timeout, max_conns
 * queue) with the same tries, passive failure counting and retries (backend-attempts.ts); a backend's 101 carries a
 * write-back like any response, and a refusal (403, 426, ...) is relayed as one. The tunnel is a frame relay whose
 * lease on the backend a drain ends with close code 1012.
 */
export class UpgradeHandler {
  readonly #handler: RequestHandler;
  readonly #relay: ResponseRelay;

  constructor(handler: RequestHandler) {
    this.#handler = handler;
    this.#relay = new ResponseRelay({ pool: handler.pool, sessions: handler.sessions, log: handler.log, observer: { metrics: handler.metrics } });
  }

  handle = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const res = answerOn(req, socket as Socket);
    const record = this.#handler.observeUpgrade(req, res);
    this.#handle(req, res, head, record).catch((err: unknown) => {
      this.#handler.log.error({ err, event: 'proxy.internal_error', requestId: requestIdOf(req), url: req.url }, 'unexpected error on the upgrade path');
      sendGatewayError(res, 500, 'SG_INTERNAL');
    });
  };

  async #handle(req: IncomingMessage, res: ServerResponse, head: Buffer, record: RequestRecord): Promise<void> {
    // `return` and the trailing-slash 301 answer an upgrade request as they answer any other (nginx's rewrite phase).
    if (this.#handler.rewritePhase(req, res)) return;
    const location = record.location = this.#handler.location(req);
    const admission = this.#handler.admit(req, location);
    const refusal = admission && (await admission);
    if (refusal) {
      for (const [name, value] of Object.entries(refusalHeaders(refusal))) res.setHeader(name, value);
      sendGatewayError(res, refusal.status, refusal.code);
      return;
    }
    if (!location?.proxy || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      sendGatewayError(res, 400, 'SG_BAD_REQUEST');
      return;
    }
    let prepared: PreparedRequest;
    try {
      prepared = await this.#handler.prepare(req, location);
    } catch (err) {
      const error = err instanceof GatewayError ? err : new StoreUnavailableError('session load failed', { cause: err });
      this.#handler.log.error({ event: 'session.load_failed', code: error.code, requestId: requestIdOf(req), err: (err as Error).cause ?? err, url: req.url }, error.message);
      sendGatewayError(res, error.status, error.code);
      return;
    }
    prepared.record = record;
    record.requestId = prepared.requestId;
    record.sessionKnown(prepared.session.session?.handle ?? null, prepared.session.session?.principal ?? null);
    await this.#forward(req, res, head, prepared, location);
  }

  async #forward(req: IncomingMessage, res: ServerResponse, clientHead: Buffer, prepared: PreparedRequest, location: LocationSettings): Promise<void> {
    const proxy = location.proxy!;
    const attempts = new BackendAttempts(this.#handler.pool.upstream(proxy.upstream), proxy, this.#handler.log, this.#handler.metrics);
    let clientGone = false;
    res.socket?.once('close', () => {
      clientGone = true;
      attempts.current?.abort(new Error('the client closed the connection'));
    });
    const headers = upgradeRequestHeaders(prepared.headers);
    const outcome = await attempts.run({
      method: 'GET',
      requestId: prepared.requestId,
      replayable: true,
      start: (backend) =>
        new BackendExchange(backend.dispatcher, { path: prepared.path, method: 'GET', headers, body: null, headersTimeout: proxy.readTimeoutMs, connectTimeout: proxy.connectTimeoutMs, bodyTimeout: proxy.readTimeoutMs, upgrade: req.headers.upgrade ?? 'websocket', slots: backend.slots }),
      abandoned: () => clientGone,
      record: prepared.record,
    });
    if ('error' in outcome) {
      if (outcome.error && !clientGone) sendGatewayError(res, outcome.error.status, outcome.error.code, prepared.requestId);
      return;
    }
    const { backend, exchange, head, lease } = outcome;
    try {
      const upgraded = exchange.upgraded;
      // Not a 101: the backend refused the upgrade; its answer is relayed like any response.
      if (!upgraded) await this.#relay.relay(res, prepared, backend, exchange, head, lease);
      else await this.#tunnel(res, clientHead, prepared, proxy, backend, upgraded, head, lease);
    } catch (err) {
      exchange.upgraded?.destroy();
      exchange.abort();
      lease.release();
      throw err;
    }
  }

  async #tunnel(res: ServerResponse, clientHead: Buffer, prepared: PreparedRequest, proxy: ProxySettings, backend: Backend, upstream: Duplex, answer: BackendResponseHead, lease: Lease): Promise<void> {
    const fields = await this.#relay.upgradeHead(res, prepared, backend, answer);
    const socket = res.socket;
    const lines = fields && switchingProtocols(fields, answer.headers.upgrade);
    if (lines === null) {
      // The backend's 101 cannot be passed on (or the client got an error for its write-back instead).
      if (fields) this.#badHead(res, backend, prepared.requestId);
      upstream.destroy();
      lease.release();
      return;
    }
    if (!socket || socket.destroyed) {
      upstream.destroy();
      lease.release();
      return;
    }
    res.detachSocket(socket);
    socket.write(lines);
    const relay = new WebSocketRelay(socket, clientHead, upstream, {
      readMs: proxy.readTimeoutMs,
      sendMs: proxy.sendTimeoutMs,
      onTimeout: (which) => this.#handler.log.warn({ event: 'proxy.tunnel_timeout', code: 'SG_BACKEND_TIMEOUT', timeout: which, backend: backend.name, requestId: prepared.requestId }, `WebSocket tunnel to ${backend.name} closed: ${which} passed`),
    });
    lease.promote({ kind: 'websocket', close: (code, reason) => relay.close(code, reason) });
    void relay.ended.then(() => lease.release());
    if (prepared.record) this.#handler.tunnelled(prepared.record, relay.ended);
  }

  #badHead(res: ServerResponse, backend: Backend, requestId: string): void {
    this.#handler.log.warn({ event: 'proxy.backend_failed', code: 'SG_BACKEND_BAD_RESPONSE', backend: backend.name, requestId, retry: false }, `backend ${backend.name} sent a 101 head that cannot be forwarded`);
    sendGatewayError(res, 502, 'SG_BACKEND_BAD_RESPONSE', requestId);
  }
}

/**
 * A response object on the upgrade's raw socket, so the gateway's own answers and a backend's refusal of the upgrade
 * go out through the same code as on any request (the socket is closed after the answer).
 */
function answerOn(req: IncomingMessage, socket: Socket): ServerResponse {
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket);
  res.once('finish', () => socket.end());
  return res;
}

/** The upgrade request's fields for undici: it writes Connection and Upgrade itself (and refuses them as fields). */
function upgradeRequestHeaders(headers: Record<string, string | string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (name !== 'connection' && name !== 'upgrade') out[name] = value;
  return out;
}

/** The 101 head for the client, or null when a field cannot be written (Node would refuse it on a response too). */
function switchingProtocols(fields: string[], protocol: string | string[] | undefined): string | null {
  const upgrade = (Array.isArray(protocol) ? protocol[0] : protocol) ?? 'websocket';
  const all = ['Connection', 'Upgrade', 'Upgrade', upgrade, ...fields];
  let head = 'HTTP/1.1 101 Switching Protocols\r\n';
  for (let i = 0; i < all.length; i += 2) {
    try {
      validateHeaderName(all[i]!);
      validateHeaderValue(all[i]!, all[i + 1]!);
    } catch {
      return null;
    }
    head += `${all[i]}: ${all[i + 1]}\r\n`;
  }
  return `${head}\r\n`;
}
