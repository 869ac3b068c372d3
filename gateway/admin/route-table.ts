import type { IncomingMessage } from 'node:http';
import { AdminOperationError } from '../errors.js';

/** One admin API request, as a route handler sees it. */
export interface AdminRequest {
  method: string;
  path: string;
  /** `:name` segments of the pattern, URI-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  raw: IncomingMessage;
  /** The JSON body (an object; {} when there is none). */
  json(): Promise<Record<string, unknown>>;
}

export interface AdminReply {
  status?: number;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as is, with `contentType`. */
  text?: string;
  contentType?: string;
  /** Extra response headers (Set-Cookie, a page's own Content-Security-Policy); they win over the defaults. */
  headers?: Record<string, string>;
}

export type RouteHandler = (req: AdminRequest) => Promise<AdminReply> | AdminReply;

export interface RouteOptions {
  /** Served without the bearer token (pages and probes that reveal nothing). Default false. */
  public?: boolean;
  /** Also readable with the read-only METRICS_TOKEN (and from loopback without a token with METRICS_ALLOW_LOOPBACK=on). */
  scrape?: boolean;
}

interface Route {
  method: string;
  pattern: string;
  segments: string[];
  handler: RouteHandler;
  options: RouteOptions;
}

/**
 * The admin API's routes: method + path pattern (`/api/backends/:name/drain`) → handler. Each concern registers its
 * routes from its own file (see route-registrars.ts).
 */
export class RouteTable {
  readonly #routes: Route[] = [];

  add(method: string, pattern: string, handler: RouteHandler, options: RouteOptions = {}): void {
    const segments = pattern.split('/').filter(Boolean);
    if (this.#routes.some((r) => r.method === method && r.pattern === pattern)) throw new Error(`admin route ${method} ${pattern} registered twice`);
    this.#routes.push({ method, pattern, segments, handler, options });
  }

  get(pattern: string, handler: RouteHandler, options?: RouteOptions): void {
    this.add('GET', pattern, handler, options);
  }

  post(pattern: string, handler: RouteHandler, options?: RouteOptions): void {
    this.add('POST', pattern, handler, options);
  }

  delete(pattern: string, handler: RouteHandler, options?: RouteOptions): void {
    this.add('DELETE', pattern, handler, options);
  }

  /** The route for a request; throws 404 / 405 AdminOperationErrors when there is none. */
  match(method: string, path: string): { handler: RouteHandler; params: Record<string, string>; options: RouteOptions } {
    const parts = path.split('/').filter(Boolean);
    let pathMatched = false;
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      pathMatched = true;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { handler: route.handler, params, options: route.options };
    }
    if (pathMatched) throw new AdminOperationError('SG_ADMIN_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`, 405);
    throw new AdminOperationError('SG_ADMIN_NOT_FOUND', `no admin route ${path}`, 404);
  }

  list(): Array<{ method: string; pattern: string }> {
    return this.#routes.map((r) => ({ method: r.method, pattern: r.pattern }));
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (const [i, seg] of pattern.entries()) {
    const part = parts[i]!;
    if (seg.startsWith(':')) {
      try {
        params[seg.slice(1)] = decodeURIComponent(part);
      } catch {
        return null;
      }
    } else if (seg !== part) {
      return null;
    }
  }
  return params;
}
