import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { ServerSettings } from '../config/settings.js';
import { ClientRequestError } from '../errors.js';
import type { Logger } from '../log.js';
import { sendGatewayError, writeSocketError } from './error-response.js';
import { assignRequestId, requestIdOf } from './request-id.js';
import { readRequestHead, rememberRequestHead, type RequestHead } from './request-head.js';
import { ServerIndex } from './server-select.js';

/** What a listener dispatches to: one server block's request and upgrade handlers. */
export interface VirtualHost {
  settings: ServerSettings;
  handler: { handle(req: IncomingMessage, res: ServerResponse): void };
  upgrades: { handle(req: IncomingMessage, socket: Duplex, head: Buffer): void };
}

/**
 * The server blocks sharing one listener. Every request head is checked first (nginx answers a bad one from the
 * default server, before any `server_name` is consulted), then the block is chosen by the validated host
 * (server-select.ts: exact, wildcards, regexes, default_server).
 */
export class VirtualHosts<T extends VirtualHost> {
  readonly hosts: T[] = [];
  readonly #log: Logger;
  readonly #key: string | undefined;
  #index: ServerIndex<T> | null = null;
  /** defaultHost()'s answer, kept until the next add. */
  #default: T | null = null;

  /** `key` is the listen address (`host:port`): which server is its default_server. */
  constructor(log: Logger, key?: string) {
    this.#log = log;
    this.#key = key;
  }

  add(host: T): void {
    this.hosts.push(host);
    this.#index = null;
    this.#default = null;
  }

  /** The server a request goes to when nothing in it names one (default_server, else the first); asked per request. */
  defaultHost(): T {
    if (this.#default === null) {
      this.#index ??= new ServerIndex(this.hosts, this.#key);
      this.#default = this.#index.select('').server;
    }
    return this.#default;
  }

  #select(head: RequestHead): T {
    this.#index ??= new ServerIndex(this.hosts, this.#key);
    const choice = this.#index.select(head.host);
    head.serverCaptures = choice.captures;
    return choice.server;
  }

  request(req: IncomingMessage, res: ServerResponse): void {
    const head = this.#readHead(req);
    if (head instanceof ClientRequestError) {
      // nginx ends the connection after a 400 (ngx_http_special_response_handler).
      res.setHeader('connection', 'close');
      sendGatewayError(res, head.status, head.code);
      req.resume();
      return;
    }
    const host = this.#select(head);
    assignRequestId(req, host.settings.requestIdHeader);
    host.handler.handle(req, res);
  }

  upgrade(req: IncomingMessage, socket: Duplex, buffered: Buffer): void {
    const head = this.#readHead(req);
    if (head instanceof ClientRequestError) {
      writeSocketError(socket as Socket, head.status, head.code, requestIdOf(req));
      return;
    }
    const host = this.#select(head);
    assignRequestId(req, host.settings.requestIdHeader);
    host.upgrades.handle(req, socket, buffered);
  }

  #readHead(req: IncomingMessage): RequestHead | ClientRequestError {
    try {
      const head = readRequestHead(req);
      rememberRequestHead(req, head);
      return head;
    } catch (err) {
      if (!(err instanceof ClientRequestError)) throw err;
      // nginx answers a bad head from the default server: its trusted-id setting applies.
      assignRequestId(req, this.defaultHost().settings.requestIdHeader);
      this.#log.warn({ event: 'proxy.client_refused', code: err.code, requestId: requestIdOf(req), remote: req.socket.remoteAddress, url: req.url }, err.message);
      return err;
    }
  }
}

/** The server block for `host` (validated: lower case, no port) among `servers`, as a listener chooses it. */
export function selectServer<T extends { settings: ServerSettings }>(servers: readonly T[], host: string): T {
  return new ServerIndex(servers).select(host).server;
}
