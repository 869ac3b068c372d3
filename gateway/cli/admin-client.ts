import { parseHostPort } from '../config/env.js';
import { GatewayError } from '../errors.js';

/** The header every admin API answer carries (admin-server.ts). */
const ADMIN_MARKER = 'x-session-gateway-admin';

/** An admin API answer that is not 2xx, with the API's own error code (SG_LAST_SERVING_BACKEND, ...). */
export class AdminApiError extends GatewayError {
  constructor(code: string, message: string, status: number) {
    super(code, message, status);
  }
}

export interface AdminClientOptions {
  /** Base URL, e.g. http://127.0.0.1:9901 */
  url: string;
  token: string | null;
  timeoutMs?: number;
}

/** Where the CLI finds the admin API: --admin, then ADMIN_LISTEN, then the default (docs/architecture.md §8). */
export function resolveAdminUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return flag.includes('://') ? flag.replace(/\/+$/, '') : `http://${flag}`;
  const listen = env.ADMIN_LISTEN?.trim();
  const hp = listen ? parseHostPort(listen) : null;
  if (hp) {
    const host = hp.host === '0.0.0.0' ? '127.0.0.1' : hp.host === '::' ? '::1' : hp.host;
    return `http://${host.includes(':') ? `[${host}]` : host}:${hp.port}`;
  }
  return 'http://127.0.0.1:9901';
}

/** The CLI's side of the admin API: JSON in, JSON out, bearer token. */
export class AdminClient {
  readonly url: string;
  readonly #token: string | null;
  readonly #timeoutMs: number;

  constructor(options: AdminClientOptions) {
    this.url = options.url;
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  get<T>(path: string): Promise<T> {
    return this.#call<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.#call<T>('POST', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.#call<T>('DELETE', path);
  }

  async #call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res;
    try {
      // undici is imported at the first request: a command's `--help` or usage error never loads it.
      const { request } = await import('undici');
      res = await request(`${this.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), headersTimeout: this.#timeoutMs, bodyTimeout: this.#timeoutMs });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      throw new AdminApiError('SG_ADMIN_UNREACHABLE', `cannot reach the admin API at ${this.url}: ${e.code ?? e.message ?? String(err)}`, 0);
    }
    const text = await res.body.text();
    if (res.headers[ADMIN_MARKER] === undefined) {
      // A proxy port, a backend or another service: its 404 would say nothing about the real mistake.
      throw new AdminApiError('SG_NOT_ADMIN_API', `${this.url} answered ${res.statusCode} but is not a session-gateway admin API: point --admin (or ADMIN_LISTEN) at the admin listener, not at a proxy listen port (default http://127.0.0.1:9901)`, res.statusCode);
    }
    let json: unknown = null;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      // not JSON: reported below
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return json as T;
    const error = (json as { error?: { code?: string; message?: string } } | null)?.error;
    throw new AdminApiError(error?.code ?? 'SG_ADMIN_ERROR', error?.message ?? `admin API answered ${res.statusCode}: ${text.slice(0, 200)}`, res.statusCode);
  }
}
