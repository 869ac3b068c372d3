import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net';
import { defaults, type ListenSettings, type ServerSettings } from '../config/settings.js';
import { ListenError } from '../errors.js';
import { LiveSet } from '../live-set.js';
import type { Logger } from '../log.js';
import type { RequestObserver } from '../observability/request-observer.js';
import { writeSocketError } from './error-response.js';
import { newRequestId } from './request-id.js';
import type { RequestHandler } from './request-handler.js';
import type { UpgradeHandler } from './upgrade.js';
import { VirtualHosts } from './virtual-hosts.js';

/** How long a graceful close lets keep-alive connections idle at its start send one more request (answered with close). */
const IDLE_CLOSE_DELAY_MS = 1_000;

/** One `server` block on a listener: its request path and its WebSocket path. */
export interface ServerBlock {
  settings: ServerSettings;
  handler: RequestHandler;
  upgrades: UpgradeHandler;
}

/**
 * One HTTP listener per distinct `listen` address, serving the server blocks that name it (chosen by Host). It knows
 * every request it accepted and every connection it holds, so a graceful close (docs/architecture.md §12) can finish
 * exactly what was started: a request whose body is still arriving counts as much as one waiting for its backend.
 */
export class ProxyListener {
  readonly host: string;
  readonly port: number;
  readonly server: Server;
  readonly hosts: VirtualHosts<ServerBlock>;
  readonly #log: Logger;
  /** Its client connections (a LiveSet, not a Set: both change at every connection or request, ../live-set.ts). */
  readonly #sockets = new LiveSet<Socket>('sockets');
  /** Requests accepted and not yet answered in full (or given up by their client). */
  readonly #open = new LiveSet<ServerResponse>('open');
  #closed: Promise<void> | null = null;
  /** The address a master bound for this listener, when the master hands it the connections (a worker). */
  #handed: { host: string; port: number } | null = null;
  /** Resolves a handed listener's close once its last connection is gone. */
  #drained: (() => void) | null = null;
  #idleTimer: NodeJS.Timeout | undefined;
  #idleClosing = false;

  constructor(listen: ListenSettings, headerTimeoutMs: number, log: Logger, observer: RequestObserver) {
    this.host = listen.host;
    this.port = listen.port;
    this.#log = log;
    this.hosts = new VirtualHosts(log, `${listen.host}:${listen.port}`);
    // Keep-alive like nginx's default (75 s). A slow client that never finishes its head is answered 408 after
    // client_header_timeout (the listener's first server block sets it); Node checks at most every second here.
    this.server = createServer({
      maxHeaderSize: defaults.maxHeaderBytes,
      keepAliveTimeout: 75_000,
      requestTimeout: 0,
      headersTimeout: headerTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, headerTimeoutMs),
    });
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      this.#track(res);
      observer.begin(req, res, this.hosts.defaultHost().settings);
      this.hosts.request(req, res);
    };
    this.server.on('request', onRequest);
    // `Expect: 100-continue` is answered when the body is about to be read (request-handler.ts), as nginx does, so a
    // request refused first (413, 401, 403) never gets a 100 Continue; other expectations are ignored, as in nginx.
    this.server.on('checkContinue', onRequest);
    this.server.on('checkExpectation', onRequest);
    this.server.on('upgrade', (req, socket, head) => this.hosts.upgrade(req, socket, head));
    this.server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      observer.connectionOpened(socket);
      socket.once('close', () => {
        this.#sockets.delete(socket);
        if (this.#drained && this.#sockets.size === 0) this.#drained();
      });
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.#clientError(err, socket));
  }

  get key(): string {
    return `${this.host}:${this.port}`;
  }

  add(block: ServerBlock): void {
    this.hosts.add(block);
  }

  get blocks(): readonly ServerBlock[] {
    return this.hosts.hosts;
  }

  /** Bind; a failure is a ListenError naming the address (start-up ends with it). */
  async listen(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      const failed = (err: NodeJS.ErrnoException) => reject(new ListenError('proxy', this.host, this.port, err));
      this.server.once('error', failed);
      this.server.listen(this.port, this.host, () => {
        this.server.off('error', failed);
        resolve();
      });
    });
    return this.address();
  }

  /**
   * Serve connections a master accepted on this address (a worker: the master owns the listening socket,
   * docs/architecture.md §12) instead of binding it. Node's http server starts its connection tracking — the
   * head-timeout checks, closeIdleConnections — on 'listening', which a server that never binds does not emit itself.
   */
  serveHanded(bound: { host: string; port: number }): { host: string; port: number } {
    this.#handed = bound;
    this.server.emit('listening');
    return bound;
  }

  /**
   * A connection the master handed over: served as if this server had accepted it, or — closing — refused, the
   * master keeping it for another worker (this process's copy of the descriptor is let go before a byte is read).
   */
  accept(socket: Socket): boolean {
    if (this.#closed || !this.#handed) {
      socket.destroy();
      return false;
    }
    // What net.Server gives the sockets it accepts itself: http.Server's allowHalfOpen (it decides what a client's
    // FIN means). TCP_NODELAY belongs to the connection, which the master's server set when it accepted it.
    socket.allowHalfOpen = true;
    this.server.emit('connection', socket);
    return true;
  }

  address(): { host: string; port: number } {
    if (this.#handed) return this.#handed;
    const a = this.server.address() as AddressInfo | null;
    return { host: a?.address ?? this.host, port: a?.port ?? this.port };
  }

  get openRequests(): number {
    return this.#open.size;
  }

  get openConnections(): number {
    return this.#sockets.size;
  }

  get closing(): boolean {
    return this.#closed !== null;
  }

  /**
   * Graceful close, phase one: accept nothing new; every accepted request is still answered, with
   * `Connection: close`; idle keep-alive connections close now and busy ones after their response. Resolves when the
   * last connection is gone (WebSocket tunnels included: their drain closes them with 1012).
   */
  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    for (const res of this.#open) if (!res.headersSent) res.shouldKeepAlive = false;
    this.#closed = this.#stopAccepting();
    // Not at once: a connection whose response went out a moment ago may have its client's next request on the wire,
    // and closing it now would fail that request. Whatever arrives in the meantime is answered with `Connection:
    // close`; what is still idle after IDLE_CLOSE_DELAY_MS has been idle that long (the keep-alive timeout's own race).
    this.#idleTimer = setTimeout(() => {
      this.#idleClosing = true;
      this.server.closeIdleConnections();
    }, IDLE_CLOSE_DELAY_MS);
    this.#idleTimer.unref();
    void this.#closed.then(() => clearTimeout(this.#idleTimer));
    return this.#closed;
  }

  /** Resolves when no connection is left. */
  #stopAccepting(): Promise<void> {
    if (this.#handed) {
      // The master sends no more (this worker was told to stop); what it sent before was taken or is refused now.
      return new Promise((resolve) => {
        this.#drained = resolve;
        if (this.#sockets.size === 0) resolve();
      });
    }
    // net.Server's close, not http.Server's: that one also closes every idle connection at once (Node ≥ 19).
    return this.server.listening ? new Promise((resolve) => NetServer.prototype.close.call(this.server, () => resolve())) : Promise.resolve();
  }

  /** Phase two, at the grace deadline: cut whatever is still open. Returns how many requests lost their answer. */
  cut(): number {
    const cut = this.#open.size;
    for (const socket of this.#sockets) socket.destroy();
    return cut;
  }

  #track(res: ServerResponse): void {
    this.#open.add(res);
    if (this.#closed) res.shouldKeepAlive = false;
    // One listener function for every response (a response closes once): no closure or once-wrapper per request.
    res.on('close', this.#untrack);
  }

  /** The response's 'close' listener (called with the response as `this`; the event has no arguments). */
  readonly #untrack: (this: ServerResponse) => void = untrackerOf(this);

  /** A response is over: it no longer holds a graceful close back. */
  untracked(res: ServerResponse): void {
    this.#open.delete(res);
    // A connection whose last response just went out is idle now: while closing it must not wait for another.
    if (this.#idleClosing) setImmediate(() => this.server.closeIdleConnections());
  }

  #clientError(err: NodeJS.ErrnoException, socket: Socket): void {
    const code = err.code ?? '';
    if (code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // No request was parsed, so no id came with it: this answer gets its own, and the log line names it.
    const requestId = newRequestId();
    const remote = socket.remoteAddress;
    if (code === 'HPE_HEADER_OVERFLOW') {
      this.#log.warn({ event: 'proxy.client_refused', code: 'SG_HEADERS_TOO_LARGE', requestId, remote }, `request head larger than ${defaults.maxHeaderBytes} bytes`);
      writeSocketError(socket, 431, 'SG_HEADERS_TOO_LARGE', requestId);
    } else if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      this.#log.warn({ event: 'proxy.client_refused', code: 'SG_CLIENT_TIMEOUT', requestId, remote }, 'client too slow to send its request head');
      writeSocketError(socket, 408, 'SG_CLIENT_TIMEOUT', requestId);
    } else {
      this.#log.warn({ event: 'proxy.client_refused', code: 'SG_BAD_REQUEST', requestId, remote, cause: code || err.message }, 'malformed HTTP request');
      writeSocketError(socket, 400, 'SG_BAD_REQUEST', requestId);
    }
  }
}

function untrackerOf(listener: ProxyListener): (this: ServerResponse) => void {
  return function untrack(this: ServerResponse): void {
    listener.untracked(this);
  };
}
