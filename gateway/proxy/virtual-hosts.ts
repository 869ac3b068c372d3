import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { ServerSettings } from '../config/settings.js';
import { ClientRequestError } from '../errors.js';
import type { Logger } from '../log.js';
import { sendGatewayError, writeSocketError } from './error-response.js';
import { readRequestHead, rememberRequestHead, type RequestHead } from './request-head.js';

/** What a listener dispatches to: one server block's request and upgrade handlers. */
export interface VirtualHost {
  settings: ServerSettings;
  handler: { handle(req: IncomingMessage, res: ServerResponse): void };
  upgrades: { handle(req: IncomingMessage, socket: Duplex, head: Buffer): void };
}

/**
 * The server blocks sharing one listener. Every request head is checked first (nginx answers a bad one from the
 * default server, before any `server_name` is consulted), then the block is chosen by the validated host.
 */
export class VirtualHosts<T extends VirtualHost> {
  readonly hosts: T[] = [];
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  add(host: T): void {
    this.hosts.push(host);
  }

  request(req: IncomingMessage, res: ServerResponse): void {
    const head = this.#readHead(req);
    if (head instanceof ClientRequestError) {
      // nginx ends the connection after a 400 (ngx_http_special_response_handler).
      res.setHeader('connection', 'close');
      sendGatewayError(res, head.status, head.code, head.message);
      req.resume();
      return;
    }
    selectServer(this.hosts, head.host).handler.handle(req, res);
  }

  upgrade(req: IncomingMessage, socket: Duplex, buffered: Buffer): void {
    const head = this.#readHead(req);
    if (head instanceof ClientRequestError) {
      writeSocketError(socket as Socket, head.status, head.code, head.message);
      return;
    }
    selectServer(this.hosts, head.host).upgrades.handle(req, socket, buffered);
  }

  #readHead(req: IncomingMessage): RequestHead | ClientRequestError {
    try {
      const head = readRequestHead(req);
      rememberRequestHead(req, head);
      return head;
    } catch (err) {
      if (!(err instanceof ClientRequestError)) throw err;
      this.#log.warn({ event: 'proxy.client_refused', code: err.code, remote: req.socket.remoteAddress, url: req.url }, err.message);
      return err;
    }
  }
}

/** The server block a request belongs to, among those sharing a listener: by host, else the first (nginx default). */
export function selectServer<T extends { settings: ServerSettings }>(servers: readonly T[], host: string): T {
  if (servers.length > 1 && host) {
    // Host names are case-insensitive (RFC 9110 §4.2.3); nginx compares server_name the same way.
    const found = servers.find((s) => s.settings.serverNames.some((name) => name.toLowerCase() === host));
    if (found) return found;
  }
  return servers[0]!;
}
