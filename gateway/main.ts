import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { EnvSettings } from './config/env.js';
import { defaults, type GatewaySettings, type ServerSettings } from './config/settings.js';
import type { Logger } from './log.js';
import { CoordSync, type CoordSyncOptions } from './coord/coord-sync.js';
import type { CoordStore } from './coord/coord-store.js';
import { MemoryCoordStore } from './coord/memory-coord.js';
import { HealthChecker } from './pool/health-checker.js';
import { UpstreamPool } from './pool/upstream-pool.js';
import { writeSocketError } from './proxy/error-response.js';
import { RequestHandler } from './proxy/request-handler.js';
import { VirtualHosts } from './proxy/virtual-hosts.js';
import { UpgradeHandler } from './proxy/upgrade.js';
import { SessionService } from './session/session-service.js';
import { ExpirySweeper } from './session/expiry-sweeper.js';
import type { SessionStore } from './session/store.js';

export interface GatewayOptions {
  settings: GatewaySettings;
  env: EnvSettings;
  store: SessionStore;
  log: Logger;
  clock?: () => number;
  /** Shared admin state (redis-coord.ts when REDIS_URL is set); default: this process only. */
  coord?: CoordStore;
  /** Sync interval, heartbeat TTL, SSE grace (coord-sync.ts defaults). */
  coordOptions?: Pick<CoordSyncOptions, 'syncIntervalMs' | 'heartbeatTtlMs' | 'drain'>;
  /** How often expired sessions are swept (default: SESSION_SWEEP_INTERVAL_MS, else 5 s). */
  sweepIntervalMs?: number;
}

interface Listener {
  key: string;
  host: string;
  port: number;
  server: Server;
  handlers: VirtualHosts<{ settings: ServerSettings; handler: RequestHandler; upgrades: UpgradeHandler }>;
}

/**
 * The composition root: one HTTP listener per distinct `listen` address, each serving the server blocks that name
 * it; one pool of backends; one session service over the chosen store.
 */
export class Gateway {
  readonly settings: GatewaySettings;
  readonly env: EnvSettings;
  readonly store: SessionStore;
  readonly pool: UpstreamPool;
  readonly sessions: SessionService;
  readonly log: Logger;
  readonly coord: CoordSync;
  readonly health: HealthChecker;
  readonly sweeper: ExpirySweeper;
  readonly #listeners: Listener[] = [];
  readonly #sockets = new Set<Socket>();

  constructor(options: GatewayOptions) {
    this.settings = options.settings;
    this.env = options.env;
    this.store = options.store;
    this.log = options.log;
    const connectTimeouts = options.settings.servers.flatMap((s) => s.locations.map((l) => l.proxy?.connectTimeoutMs ?? defaults.proxy.connectTimeoutMs));
    this.pool = new UpstreamPool(options.settings, { connectTimeoutMs: Math.max(1, ...connectTimeouts) });
    this.sessions = new SessionService({ store: options.store, secrets: options.env.sessionSecrets, headerKey: options.env.headerKey, clock: options.clock });
    this.coord = new CoordSync({ store: options.coord ?? new MemoryCoordStore(), pool: this.pool, log: this.log, ...options.coordOptions });
    this.health = new HealthChecker(this.pool, { log: this.log });
    this.sweeper = new ExpirySweeper({ store: options.store, log: this.log, intervalMs: options.sweepIntervalMs ?? options.env.sweepIntervalMs, clock: options.clock });
    const byAddress = new Map<string, Listener>();
    for (const serverSettings of options.settings.servers) {
      for (const listen of serverSettings.listen) {
        const key = `${listen.host}:${listen.port}`;
        let listener = byAddress.get(key);
        if (!listener) {
          listener = { key, host: listen.host, port: listen.port, server: this.#createServer(() => listener!, serverSettings.clientHeaderTimeoutMs), handlers: new VirtualHosts(this.log) };
          byAddress.set(key, listener);
          this.#listeners.push(listener);
        }
        const handler = new RequestHandler({ settings: serverSettings, pool: this.pool, sessions: this.sessions, log: this.log });
        listener.handlers.add({ settings: serverSettings, handler, upgrades: new UpgradeHandler(handler) });
      }
    }
  }

  #createServer(listener: () => Listener, headerTimeoutMs: number): Server {
    // Keep-alive like nginx's default (75 s). A slow client that never finishes its head is answered 408 after
    // client_header_timeout (the listener's first server block sets it); Node checks at most every second here.
    const server = createServer({
      maxHeaderSize: defaults.maxHeaderBytes,
      keepAliveTimeout: 75_000,
      requestTimeout: 0,
      headersTimeout: headerTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, headerTimeoutMs),
    });
    server.on('request', (req, res) => listener().handlers.request(req, res));
    server.on('upgrade', (req, socket, head) => listener().handlers.upgrade(req, socket, head));
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      const code = err.code ?? '';
      if (code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      if (code === 'HPE_HEADER_OVERFLOW') {
        this.log.warn({ event: 'proxy.client_refused', code: 'SG_HEADERS_TOO_LARGE', remote: socket.remoteAddress }, `request head larger than ${defaults.maxHeaderBytes} bytes`);
        writeSocketError(socket, 431, 'SG_HEADERS_TOO_LARGE', `request header fields larger than ${defaults.maxHeaderBytes} bytes`);
      } else if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
        this.log.warn({ event: 'proxy.client_refused', code: 'SG_CLIENT_TIMEOUT', remote: socket.remoteAddress }, 'client too slow to send its request head');
        writeSocketError(socket, 408, 'SG_CLIENT_TIMEOUT', 'request head not received in time');
      } else {
        this.log.warn({ event: 'proxy.client_refused', code: 'SG_BAD_REQUEST', remote: socket.remoteAddress, cause: code || err.message }, 'malformed HTTP request');
        writeSocketError(socket, 400, 'SG_BAD_REQUEST', 'malformed HTTP request');
      }
    });
    return server;
  }

  async listen(): Promise<Array<{ host: string; port: number }>> {
    // Admin state first (never route to a backend another gateway is draining), then one round of health checks
    // (each bounded by its timeout; a backend whose check has not completed stays UNKNOWN, which serves).
    await this.coord.start();
    await this.health.start();
    this.sweeper.start();
    const bound: Array<{ host: string; port: number }> = [];
    for (const listener of this.#listeners) {
      await new Promise<void>((resolve, reject) => {
        listener.server.once('error', reject);
        listener.server.listen(listener.port, listener.host, () => {
          listener.server.off('error', reject);
          resolve();
        });
      });
      const address = listener.server.address() as AddressInfo;
      bound.push({ host: address.address, port: address.port });
    }
    return bound;
  }

  addresses(): Array<{ host: string; port: number }> {
    return this.#listeners.map((l) => {
      const a = l.server.address() as AddressInfo | null;
      return { host: a?.address ?? l.host, port: a?.port ?? l.port };
    });
  }

  inFlight(): number {
    return this.pool.allBackends().reduce((n, b) => n + b.inFlight, 0);
  }

  /**
   * Two-phase stop: stop accepting and close idle keep-alive sockets, let in-flight requests finish (up to the
   * grace period), then cut what is left and close pools and the store.
   */
  async close(graceMs = 10_000): Promise<void> {
    const closed = Promise.all(this.#listeners.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve()))));
    for (const l of this.#listeners) l.server.closeIdleConnections();
    const deadline = Date.now() + graceMs;
    while (this.inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
    for (const l of this.#listeners) for (const h of l.handlers.hosts) h.upgrades.close();
    await this.coord.stop();
    await this.coord.store.close();
    await this.health.stop();
    await this.pool.close();
    await this.sweeper.stop();
    await this.store.close();
  }
}
