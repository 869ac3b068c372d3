/**
 * The same job as the gateway, done the usual Node way: express 5 + express-session + connect-redis (ioredis) +
 * http-proxy-middleware, the session injected into a signed `X-Session` header for the backend, and the backend's
 * `X-Session-Login` / `X-Session-Update` answers applied to the session. A baseline for the bench, not a product:
 * it skips what the gateway does on top (session-id rotation on login, per-attribute atomic writes, size limits).
 *
 * Run as its own process: `node express-baseline.js --backend PORT --redis URL [--port N]`; prints `{"port":N}`.
 */
import { createHmac } from 'node:crypto';
import { Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { Redis } from 'ioredis';

declare module 'express-session' {
  interface SessionData {
    user?: string;
    data?: Record<string, unknown>;
  }
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/** A compact HS256 JWS, as a hand-rolled express app would make one (no library: the cheapest fair version). */
export function signSessionHeader(claims: Record<string, unknown>, key: string): string {
  const head = base64url('{"alg":"HS256","typ":"JWT"}');
  const body = base64url(JSON.stringify(claims));
  const sig = createHmac('sha256', key).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

/** Applies a `{"set":{},"unset":[],"incr":{}}` update to a plain attribute object. */
export function applyUpdate(data: Record<string, unknown>, update: unknown): void {
  if (typeof update !== 'object' || update === null) return;
  const { set, unset, incr } = update as { set?: Record<string, unknown>; unset?: string[]; incr?: Record<string, number> };
  if (set) Object.assign(data, set);
  if (Array.isArray(unset)) for (const key of unset) delete data[key];
  if (incr) for (const [key, n] of Object.entries(incr)) data[key] = (Number(data[key]) || 0) + Number(n);
}

export interface ExpressBaselineOptions {
  backendPort: number;
  redisUrl: string;
  port?: number;
  secret?: string;
}

export async function startExpressBaseline(options: ExpressBaselineOptions): Promise<{ port: number; close: () => Promise<void> }> {
  const secret = options.secret ?? 'bench-secret';
  const redis = new Redis(options.redisUrl);
  const app = express();
  app.disable('x-powered-by');
  app.use(
    session({
      name: 'connect.sid',
      secret,
      store: new RedisStore({ client: redis, prefix: 'sess:', ttl: 30 * 60 }),
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax' },
    }),
  );
  const proxy = createProxyMiddleware<IncomingMessage & { session?: session.Session & Partial<session.SessionData> }, ServerResponse>({
    target: `http://127.0.0.1:${options.backendPort}`,
    // Keep-alive to the backend, as the gateway and nginx (keepalive 64) have: without it this stack is far slower.
    agent: new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 }),
    on: {
      proxyReq: (proxyReq, req) => {
        for (const name of proxyReq.getHeaderNames()) if (name.startsWith('x-session')) proxyReq.removeHeader(name);
        const s = req.session;
        if (s?.user !== undefined || s?.data !== undefined) {
          const now = Math.floor(Date.now() / 1000);
          proxyReq.setHeader('x-session', signSessionHeader({ sid: s.id, sub: s.user, iat: now, exp: now + 60, data: s.data ?? {} }, secret));
        }
      },
      proxyRes: (proxyRes, req) => {
        const s = req.session;
        const login = proxyRes.headers['x-session-login'];
        const update = proxyRes.headers['x-session-update'];
        if (s && typeof login === 'string') s.user = login;
        if (s && typeof update === 'string') {
          s.data ??= {};
          try {
            applyUpdate(s.data, JSON.parse(update));
          } catch {
            // A malformed update is ignored here; the gateway answers 502 instead.
          }
        }
        for (const name of Object.keys(proxyRes.headers)) if (name.startsWith('x-session')) delete proxyRes.headers[name];
      },
    },
  });
  app.use(proxy);
  const server = app.listen(options.port ?? 0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  return {
    port: address.port,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      redis.disconnect();
    },
  };
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const backendPort = Number(argValue('--backend'));
  const redisUrl = argValue('--redis');
  if (!backendPort || !redisUrl) {
    process.stderr.write('usage: express-baseline --backend PORT --redis URL [--port N]\n');
    process.exit(2);
  }
  const { port } = await startExpressBaseline({ backendPort, redisUrl, port: Number(argValue('--port') ?? 0) });
  process.stdout.write(JSON.stringify({ port }) + '\n');
  process.on('SIGTERM', () => process.exit(0));
}
