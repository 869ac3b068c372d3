import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../../gateway/log.js';
import { discardBody, readJsonObject, RequestBodyError, sendJson, sendText } from './http-io.js';
import { renderDemoPage } from './page.js';
import {
  encodeSessionUpdate,
  isValidPrincipal,
  readSession,
  SESSION_LOGIN_HEADER,
  encodePrincipal,
  SESSION_LOGOUT_HEADER,
  SESSION_UPDATE_HEADER,
  type DemoSession,
} from './session-headers.js';

/** What a route needs to know about the process it runs in. */
export interface DemoContext {
  name: () => string;
  pid: number;
  startedAt: string;
  headerKey: Buffer | null;
  log: Logger;
  isStopping: () => boolean;
  /** Requests in flight, this one included (reported by /healthz as `X-In-Flight`, for drain tests). */
  inFlight: () => number;
  /** The prefix the app is mounted under ('' = root); see DemoAppOptions.basePath. */
  basePath: string;
}

const MAX_SLOW_MS = 120_000;

type Route = (req: IncomingMessage, res: ServerResponse, ctx: DemoContext, session: DemoSession, url: URL) => Promise<void> | void;

function whoami(ctx: DemoContext, session: DemoSession) {
  return {
    backend: ctx.name(),
    pid: ctx.pid,
    startedAt: ctx.startedAt,
    principal: session.principal,
    counter: typeof session.data.counter === 'number' ? session.data.counter : 0,
    draft: typeof session.data.draft === 'string' ? session.data.draft : '',
    evicted: session.evicted,
  };
}

const routes: Record<string, Partial<Record<string, Route>>> = {
  '/': {
    GET: (_req, res, ctx, session) => sendText(res, 200, renderDemoPage({ ...whoami(ctx, session), basePath: ctx.basePath }), 'text/html; charset=utf-8'),
  },
  '/api/whoami': {
    GET: (_req, res, ctx, session) => sendJson(res, 200, whoami(ctx, session)),
  },
  '/api/login': {
    POST: async (req, res, ctx) => {
      const { user } = await readJsonObject(req);
      if (!isValidPrincipal(user)) {
        sendJson(res, 400, { error: 'user must be 1-256 bytes of text without control characters or surrounding blanks' });
        return;
      }
      sendJson(res, 200, { backend: ctx.name(), principal: user }, { [SESSION_LOGIN_HEADER]: encodePrincipal(user) });
    },
  },
  '/api/logout': {
    POST: (req, res, ctx) => {
      discardBody(req);
      sendJson(res, 200, { backend: ctx.name(), principal: null }, { [SESSION_LOGOUT_HEADER]: '1' });
    },
  },
  '/api/counter': {
    // The backend cannot know the result of an incr before the gateway applies it: `counter` is the hydrated value
    // + 1, right unless another request raced this one. The authoritative value is the next /api/whoami.
    POST: (req, res, ctx, session) => {
      discardBody(req);
      const previous = typeof session.data.counter === 'number' ? session.data.counter : 0;
      sendJson(res, 200, { backend: ctx.name(), counter: previous + 1 }, { [SESSION_UPDATE_HEADER]: encodeSessionUpdate({ incr: { counter: 1 } }) });
    },
  },
  '/api/draft': {
    PUT: async (req, res, ctx) => {
      const { text } = await readJsonObject(req);
      if (typeof text !== 'string') {
        sendJson(res, 400, { error: 'text must be a string' });
        return;
      }
      const update = encodeSessionUpdate({ set: { draft: text } });
      sendJson(res, 200, { backend: ctx.name(), saved: true, length: text.length }, { [SESSION_UPDATE_HEADER]: update });
    },
  },
  '/debug/headers': {
    GET: (req, res) => sendJson(res, 200, req.headers),
  },
  '/healthz': {
    GET: (_req, res, ctx) => {
      res.setHeader('X-In-Flight', String(ctx.inFlight()));
      if (ctx.isStopping()) sendText(res, 503, 'shutting down\n');
      else sendText(res, 200, 'ok');
    },
  },
  '/api/slow': {
    GET: async (_req, res, ctx, _session, url) => {
      const ms = Number(url.searchParams.get('ms') ?? '1000');
      if (!Number.isFinite(ms) || ms < 0 || ms > MAX_SLOW_MS) {
        sendJson(res, 400, { error: `ms must be 0..${MAX_SLOW_MS}` });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, ms));
      sendJson(res, 200, { backend: ctx.name(), ms });
    },
  },
  '/api/echo': {
    POST: async (req, res) => {
      res.writeHead(200, { 'Content-Type': req.headers['content-type'] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
      await pipeline(req, res);
    },
  },
  '/api/upload': {
    POST: async (req, res, ctx) => {
      let bytes = 0;
      for await (const chunk of req as AsyncIterable<Buffer>) bytes += chunk.length;
      sendJson(res, 200, { backend: ctx.name(), bytes });
    },
  },
};

/** The demo app's request handler: every response carries `X-Backend`, and `Connection: close` while stopping. */
export async function handleDemoRequest(req: IncomingMessage, res: ServerResponse, ctx: DemoContext): Promise<void> {
  res.setHeader('X-Backend', ctx.name());
  if (ctx.isStopping()) res.setHeader('Connection', 'close');
  const url = new URL(req.url ?? '/', 'http://demo.invalid');
  const base = ctx.basePath;
  if (base !== '' && (url.pathname === base || url.pathname.startsWith(`${base}/`))) url.pathname = url.pathname.slice(base.length) || '/';
  const byMethod = routes[url.pathname];
  const route = byMethod?.[req.method ?? 'GET'] ?? (req.method === 'HEAD' ? byMethod?.GET : undefined);
  if (!byMethod || !route) {
    discardBody(req);
    if (byMethod) res.setHeader('Allow', Object.keys(byMethod).join(', '));
    sendJson(res, byMethod ? 405 : 404, { error: byMethod ? 'method not allowed' : 'not found' });
    return;
  }
  const session = readSession(req, ctx.headerKey, (reason) =>
    ctx.log.warn({ event: 'x-session-rejected', reason, path: url.pathname }, 'unverifiable X-Session header ignored'),
  );
  try {
    await route(req, res, ctx, session, url);
  } catch (err) {
    if (err instanceof RequestBodyError) {
      if (!res.headersSent) sendJson(res, err.status, { error: err.message, code: err.code }, { Connection: 'close' });
      return;
    }
    ctx.log.error({ event: 'request-failed', err, path: url.pathname }, 'request failed');
    if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
    else res.destroy();
  }
}
