#!/usr/bin/env node
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLogger, type Logger } from '../gateway/log.js';
import { DEMO_APP_DEFAULTS, parseDemoAppOptions, type DemoAppOptions } from './demo/options.js';
import { GracefulStop } from './demo/graceful-stop.js';
import { handleDemoRequest, type DemoContext } from './demo/routes.js';
import { DemoWebSockets } from './demo/websocket.js';

/**
 * The demo backend (docs/architecture.md §9): a small stateless app on node:http. It reads the session only from the signed
 * `X-Session` request header and changes it only through `X-Session-*` response headers, so any instance can be
 * drained and restarted without losing anyone's session.
 *
 *   node dist/backends/demo-app.js --port 8081 --name 127.0.0.1:8081     (or env PORT / BACKEND_NAME)
 *
 * `--port 0` picks a free port; the start log line (`"event":"start"`) carries the actual `port`.
 * Header key: SESSION_HEADER_SECRET, else derived from SESSION_SECRET exactly as the gateway derives it.
 */

export { parseDemoAppOptions, DEMO_APP_DEFAULTS, type DemoAppOptions };

export interface DemoApp {
  readonly server: Server;
  readonly port: number;
  readonly name: string;
  readonly url: string;
  /** Graceful stop (see graceful-stop.ts); true when it finished without forcing sockets closed. */
  stop(overrides?: Partial<Pick<DemoAppOptions, 'stopDelayMs' | 'stopTimeoutMs'>>): Promise<boolean>;
}

/** Start one demo backend in this process (tests of other modules may use it; `main` below is the CLI). */
export async function startDemoApp(options: Partial<DemoAppOptions> = {}, log: Logger = createLogger({ name: 'demo-app' })): Promise<DemoApp> {
  const opts: DemoAppOptions = { ...DEMO_APP_DEFAULTS, headerKey: null, ...options };
  const server = createServer({ keepAliveTimeout: opts.keepAliveTimeoutMs });
  // headersTimeout must stay above keepAliveTimeout, or Node closes a reused socket mid-request.
  server.headersTimeout = Math.max(server.headersTimeout, opts.keepAliveTimeoutMs + 1_000);
  let name = opts.name ?? `${opts.host}:${opts.port}`;
  let stop: GracefulStop | null = null;
  const ctx: DemoContext = {
    name: () => name,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    headerKey: opts.headerKey,
    log,
    isStopping: () => stop?.stopping ?? false,
    inFlight: () => stop?.inFlight ?? 0,
    basePath: opts.basePath,
  };
  const sockets = new DemoWebSockets(server, ctx);
  stop = new GracefulStop(server, sockets, log);
  const graceful = stop;
  server.on('request', (req, res) => {
    graceful.track(res);
    void handleDemoRequest(req, res, ctx);
  });
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    log.debug({ event: 'client-error', err }, 'bad client request');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  name = opts.name ?? `${opts.host}:${port}`;
  if (!opts.headerKey) log.warn({ event: 'no-header-key' }, 'no SESSION_HEADER_SECRET or SESSION_SECRET: every X-Session header will be ignored');
  return {
    server,
    port,
    name,
    url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`,
    stop: (overrides = {}) => graceful.stop({ stopDelayMs: overrides.stopDelayMs ?? opts.stopDelayMs, stopTimeoutMs: overrides.stopTimeoutMs ?? opts.stopTimeoutMs }),
  };
}

async function main(): Promise<void> {
  let options: DemoAppOptions;
  try {
    options = parseDemoAppOptions(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`demo-app: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  const log = createLogger({ name: 'demo-app', level: options.logLevel });
  let app: DemoApp;
  try {
    app = await startDemoApp(options, log);
  } catch (err) {
    log.fatal({ event: 'start-failed', err, port: options.port }, 'demo backend could not start');
    process.exit(1);
  }
  log.info({ event: 'start', backend: app.name, port: app.port, url: app.url, headerKey: options.headerKey !== null }, `demo backend listening on ${app.url}`);
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return; // a second Ctrl-C does not cut the graceful stop short; the hard timeout does
    signalled = true;
    log.info({ event: 'stopping', backend: app.name, signal }, 'graceful stop: healthz 503, finishing in-flight requests');
    void app.stop().then((clean) => {
      log.info({ event: 'stop', backend: app.name, clean }, clean ? 'demo backend stopped' : 'demo backend stopped (forced)');
      log.flush?.();
      process.exitCode = clean ? 0 : 1;
      // Stragglers (timers of cancelled /api/slow requests) must not keep a stopped backend alive.
      setImmediate(() => process.exit());
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) void main();
