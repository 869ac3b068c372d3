import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import httpProxy from 'http-proxy';
import { GatewayError, NoBackendError, StoreUnavailableError } from '../errors.js';
import type { Backend } from '../pool/backend.js';
import { refusalHeaders } from './access-gate.js';
import { writeSocketError } from './error-response.js';
import type { RequestHandler } from './request-handler.js';

/** A WebSocket close frame from server to client (unmasked), RFC 6455 §5.5.1. */
export function closeFrame(code: number, reason: string): Buffer {
  const text = Buffer.from(reason.slice(0, 120));
  const frame = Buffer.alloc(4 + text.length);
  frame[0] = 0x88;
  frame[1] = 2 + text.length;
  frame.writeUInt16BE(code, 2);
  text.copy(frame, 4);
  return frame;
}

/**
 * WebSocket upgrades (http-proxy's `ws`), with the session hydrated on the upgrade request exactly as for a plain
 * request. Each tunnel is registered with its backend so a drain can end it with close code 1012 (service restart).
 */
export class UpgradeHandler {
  readonly #handler: RequestHandler;
  readonly #proxy = httpProxy.createProxyServer({ ws: true, xfwd: false, prependPath: false });

  constructor(handler: RequestHandler) {
    this.#handler = handler;
    this.#proxy.on('error', (err, _req, target) => {
      const socket = target as unknown as Socket;
      this.#handler.log.warn({ event: 'proxy.upgrade_failed', cause: err.message }, 'WebSocket tunnel failed');
      if (socket && 'destroy' in socket) writeSocketError(socket, 502, 'SG_BACKEND_FAILED', 'backend failed');
    });
  }

  handle = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    this.#handle(req, socket as Socket, head).catch((err: unknown) => {
      this.#handler.log.error({ err, event: 'proxy.internal_error' }, 'unexpected error on the upgrade path');
      writeSocketError(socket as Socket, 500, 'SG_INTERNAL', 'internal gateway error');
    });
  };

  async #handle(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const location = this.#handler.location(req);
    const refusal = await this.#handler.admit(req, location);
    if (refusal) {
      writeSocketError(socket, refusal.status, refusal.code, refusal.message, refusalHeaders(refusal));
      return;
    }
    if (!location?.proxy || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      writeSocketError(socket, 400, 'SG_BAD_REQUEST', 'only WebSocket upgrades are proxied');
      return;
    }
    let prepared;
    try {
      prepared = await this.#handler.prepare(req, location);
    } catch (err) {
      const error = err instanceof GatewayError ? err : new StoreUnavailableError('session load failed', { cause: err });
      this.#handler.log.error({ event: 'session.load_failed', code: error.code, url: req.url }, error.message);
      writeSocketError(socket, error.status, error.code, error.message);
      return;
    }
    const backend = this.#handler.pool.upstream(location.proxy.upstream)?.pick() ?? null;
    if (!backend) {
      const error = new NoBackendError(location.proxy.upstream);
      this.#handler.log.error({ event: 'proxy.no_backend', code: error.code, upstream: location.proxy.upstream }, error.message);
      writeSocketError(socket, 503, error.code, error.message);
      return;
    }
    // http-proxy forwards req.headers; the hop-by-hop Upgrade/Connection pair must go through for a WebSocket.
    const headers: Record<string, string | string[]> = { ...prepared.headers, connection: 'Upgrade', upgrade: req.headers.upgrade ?? 'websocket' };
    req.headers = headers;
    req.url = prepared.path;
    this.#track(backend, socket);
    this.#proxy.ws(req, socket, head, { target: backend.origin });
  }

  #track(backend: Backend, socket: Socket): void {
    const tunnel = {
      kind: 'websocket' as const,
      close: (code: number, reason: string) => {
        if (socket.destroyed) return;
        socket.write(closeFrame(code, reason));
        socket.end();
        setTimeout(() => socket.destroy(), 1_000).unref();
      },
    };
    backend.longLived.add(tunnel);
    socket.once('close', () => backend.longLived.delete(tunnel));
  }

  close(): void {
    this.#proxy.close();
  }
}
