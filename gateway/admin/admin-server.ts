import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdminOperationError, GatewayError, ListenError } from '../errors.js';
import type { Logger } from '../log.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import type { ControlPlane } from '../process/control-plane.js';
import type { SessionMinter } from '../session/session-minter.js';
import { AdminBrowserGuard, isLoopback } from './browser-guard.js';
import { DashboardHistory, type MetricJson } from './dashboard-history.js';
import { DashboardLogins } from './dashboard-logins.js';
import { registerDashboardRoutes } from './dashboard-routes.js';
import { adminRouteRegistrars } from './route-registrars.js';
import { RouteTable, type AdminReply, type AdminRequest } from './route-table.js';
import { registerStaticRoutes } from './static-routes.js';
import { metricsSnapshot } from '../observability/worker-metrics.js';

/** What admin route handlers may use. */
export interface AdminContext {
  /** The gateway's control plane: its backends, shared state, store and processes. */
  gateway: ControlPlane;
  /** Logged-in sessions for load tests (mint-routes.ts); off unless ADMIN_TOKEN is set. */
  minter: SessionMinter;
  log: Logger;
  /** This process's Prometheus metrics (GET /metrics). */
  metrics: GatewayMetrics;
}

export interface AdminServerOptions {
  host: string;
  port: number;
  /** ADMIN_TOKEN; null = no token (allowed only on loopback). */
  token: string | null;
  /** METRICS_TOKEN: reads /metrics and nothing else; null = none. */
  metricsToken?: string | null;
  /** METRICS_ALLOW_LOOPBACK=on: a scrape from a loopback address needs no token. */
  metricsFromLoopback?: boolean;
  /** ADMIN_ALLOWED_HOSTS: Host names the listener answers besides IP literals, localhost and its own names. */
  allowedHosts?: readonly string[];
}

const MAX_BODY_BYTES = 64 * 1024;

/** Every admin answer: never framed by another page (the dashboard's buttons), never sniffed into a script. */
const SECURITY_HEADERS = {
  'x-frame-options': 'DENY',
  'content-security-policy': "frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  // Says "this is the admin API" to the CLI, so an --admin URL pointing at a proxy port gets a hint, not a bare 404.
  'x-session-gateway-admin': '1',
};

export { isLoopback };

/**
 * The admin listener (docs/architecture.md §8), separate from the proxy listeners. Bearer ADMIN_TOKEN on every route except the
 * public ones (the dashboard page, /healthz) when a token is set; a listener that is not on loopback refuses to start
 * without one. Browsers' pages are kept out by browser-guard.ts (Host allow-list, no cross-site state changes).
 * Errors are JSON `{error:{code,message}}` with the error's status.
 */
export class AdminServer {
  readonly routes = new RouteTable();
  readonly #server: Server;
  readonly #options: AdminServerOptions;
  readonly #log: Logger;
  readonly #guard: AdminBrowserGuard;
  readonly #logins = new DashboardLogins();
  readonly #history: DashboardHistory;

  constructor(ctx: AdminContext, options: AdminServerOptions) {
    if (options.token === null && !isLoopback(options.host)) {
      throw new GatewayError('SG_ADMIN_TOKEN_REQUIRED', `ADMIN_LISTEN ${options.host}:${options.port} is not a loopback address: set ADMIN_TOKEN (the admin API can drain backends)`);
    }
    this.#options = options;
    this.#log = ctx.log;
    this.#guard = new AdminBrowserGuard({ listenHost: options.host, allowedHosts: options.allowedHosts ?? [] });
    for (const register of adminRouteRegistrars) register(this.routes, ctx);
    this.#history = new DashboardHistory({
      // Without the store-wide numbers: reading those asks the store for its stats, which sessionStats does every 30 s.
      metrics: async () => (ctx.gateway.metricsJson ? ctx.gateway.metricsJson() : ((await metricsSnapshot(ctx.metrics, { storeWide: false })) as unknown as MetricJson[])),
      sessionStats: (now) => ctx.gateway.store.stats(now),
    });
    registerStaticRoutes(this.routes);
    registerDashboardRoutes(this.routes, { token: options.token, logins: this.#logins, history: this.#history, log: ctx.log });
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  async listen(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      const failed = (err: NodeJS.ErrnoException) => reject(new ListenError('admin API, ADMIN_LISTEN', this.#options.host, this.#options.port, err));
      this.#server.once('error', failed);
      this.#server.listen(this.#options.port, this.#options.host, () => {
        this.#server.off('error', failed);
        this.#history.start();
        resolve();
      });
    });
    return this.address();
  }

  address(): { host: string; port: number } {
    const a = this.#server.address() as AddressInfo | null;
    return { host: a?.address ?? this.#options.host, port: a?.port ?? this.#options.port };
  }

  async close(): Promise<void> {
    this.#history.stop();
    if (!this.#server.listening) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** ADMIN_TOKEN opens every route; a scrape route also opens to METRICS_TOKEN, or to loopback when so configured. */
  #authorized(req: IncomingMessage, scrape: boolean): boolean {
    const token = this.#options.token;
    if (token === null || bearerIs(req, token)) return true;
    if (!scrape) return false;
    const metricsToken = this.#options.metricsToken ?? null;
    if (metricsToken !== null && bearerIs(req, metricsToken)) return true;
    return this.#options.metricsFromLoopback === true && isLoopback(req.socket.remoteAddress ?? '');
  }

  /**
   * A request of a dashboard logged in with its cookie (dashboard-logins.ts). The cookie is an ambient credential, so a
   * state change must also carry the login's CSRF token (the page has it; another page cannot read it).
   */
  #dashboardLogin(req: IncomingMessage): boolean {
    const login = this.#logins.fromRequest(req.headers);
    if (!login) return false;
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD' && !this.#logins.csrfMatches(login, req.headers)) {
      req.resume();
      throw new AdminOperationError('SG_ADMIN_CSRF', `${method} with the dashboard's cookie needs its X-CSRF-Token`, 403);
    }
    return true;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    try {
      this.#guard.check(req.method ?? 'GET', req.headers);
      const route = this.routes.match(req.method ?? 'GET', url.pathname);
      if (!route.options.public && !this.#authorized(req, route.options.scrape === true) && !this.#dashboardLogin(req)) {
        req.resume();
        res.setHeader('www-authenticate', 'Bearer realm="session-gateway admin"');
        throw new AdminOperationError('SG_ADMIN_UNAUTHORIZED', req.headers.authorization ? 'wrong admin token' : 'admin token required (Authorization: Bearer ADMIN_TOKEN)', 401);
      }
      const request: AdminRequest = { method: req.method ?? 'GET', path: url.pathname, params: route.params, query: url.searchParams, raw: req, json: () => readJson(req) };
      send(res, await route.handler(request));
    } catch (err) {
      const error = err instanceof GatewayError ? err : new GatewayError('SG_ADMIN_INTERNAL', (err as Error)?.message ?? String(err), 500);
      if (error.status >= 500) this.#log.error({ event: 'admin.error', code: error.code, err, path: url.pathname }, error.message);
      else this.#log.info({ event: 'admin.refused', code: error.code, method: req.method, path: url.pathname, status: error.status, origin: req.headers.origin, host: req.headers.host }, error.message);
      if (!res.headersSent) send(res, { status: error.status, json: { error: { code: error.code, message: error.message } } });
      else res.destroy();
    }
  }
}

function bearerIs(req: IncomingMessage, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function send(res: ServerResponse, reply: AdminReply): void {
  const status = reply.status ?? 200;
  res.setHeader('cache-control', 'no-store');
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if (reply.text !== undefined) {
    res.writeHead(status, { 'content-type': reply.contentType ?? 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(reply.text) });
    res.end(reply.text);
    return;
  }
  const body = `${JSON.stringify(reply.json ?? {}, null, 2)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new AdminOperationError('SG_ADMIN_BAD_REQUEST', 'request body too large', 413);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new AdminOperationError('SG_ADMIN_BAD_REQUEST', 'request body must be a JSON object', 400);
}
