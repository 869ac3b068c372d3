import type { IncomingHttpHeaders } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { LoadtestTimeoutError } from './loadtest-errors.js';

export interface ExchangeRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | null;
  /** The whole exchange at most: head and body (SG_LOADTEST_TIMEOUT). */
  timeoutMs: number;
  /** Keep the body's text (a check reads it); else it is counted and dropped. */
  readBody: boolean;
}

export interface ExchangeReply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string | null;
}

/** Raw `[name, value, …]` header buffers as Node's IncomingHttpHeaders: lower-case names, Set-Cookie a list. */
export function headersOf(raw: Buffer[]): IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    const before = headers[name];
    if (name === 'set-cookie') headers[name] = [...((before as string[] | undefined) ?? []), value];
    else headers[name] = before === undefined ? value : `${String(before)}, ${value}`;
  }
  return headers;
}

/**
 * One request on a keep-alive pool through undici's `dispatch`, the lowest-level client call: a load generator must
 * not be what limits the numbers, and `request()` with a body stream per answer costs about a third of the rate on
 * two cores. The answer's body is read to the end either way, so the connection is reused. `timeoutMs` bounds the
 * whole exchange, from the call (waiting for a free connection included) to the body's last byte.
 */
export function exchange(pool: Dispatcher, req: ExchangeRequest): Promise<ExchangeReply> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    let abort: ((reason: Error) => void) | null = null;
    let expired: Error | null = null;
    let settled = false;
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      finish();
    };
    const timer = setTimeout(() => {
      expired = new LoadtestTimeoutError(req.timeoutMs);
      // Not connected yet (queued for a connection): the request is aborted as soon as it starts.
      abort?.(expired);
      settle(() => reject(expired));
    }, req.timeoutMs);
    pool.dispatch(
      // undici's own per-read timeouts off: the total bound above is the one the user asked for.
      { method: req.method as Dispatcher.HttpMethod, path: req.path, headers: req.headers, body: req.body, headersTimeout: 0, bodyTimeout: 0 },
      {
        // The handler API every undici dispatcher takes as is (the newer controller API needs a wrapper here).
        onConnect(abortRequest: (reason: Error) => void) {
          if (expired) abortRequest(expired);
          else abort = abortRequest;
        },
        onHeaders(statusCode: number, rawHeaders: Buffer[]) {
          status = statusCode;
          headers = headersOf(rawHeaders);
          return true;
        },
        onData(chunk: Buffer) {
          if (req.readBody) chunks.push(chunk);
          return true;
        },
        onComplete() {
          settle(() => resolve({ status, headers, text: req.readBody ? Buffer.concat(chunks).toString('utf8') : null }));
        },
        onError(error: Error) {
          settle(() => reject(error));
        },
      } as unknown as Dispatcher.DispatchHandler,
    );
  });
}

/** One keep-alive pool per target base URL. */
export class Pools {
  readonly #pools = new Map<string, Pool>();
  readonly #connections: number;

  constructor(connections: number) {
    this.#connections = connections;
  }

  for(base: string): Pool {
    let pool = this.#pools.get(base);
    if (!pool) this.#pools.set(base, (pool = new Pool(base, { connections: this.#connections, keepAliveTimeout: 10_000, pipelining: 1 })));
    return pool;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((p) => p.close().catch(() => {})));
  }
}
