import { request, type Dispatcher } from 'undici';

export interface BrowserResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

/** A tiny cookie-keeping client: what a browser does with the gateway's Set-Cookie, and nothing more. */
export class Browser {
  readonly cookies = new Map<string, string>();
  readonly base: string;
  readonly dispatcher: Dispatcher | undefined;

  constructor(base: string, dispatcher?: Dispatcher) {
    this.base = base;
    this.dispatcher = dispatcher;
  }

  cookieHeader(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async fetch(path: string, options: { method?: Dispatcher.HttpMethod; json?: unknown; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<BrowserResponse> {
    const headers: Record<string, string> = { ...options.headers };
    const cookie = this.cookieHeader();
    if (cookie && headers.cookie === undefined) headers.cookie = cookie;
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    const res = await request(`${this.base}${path}`, { method: options.method ?? (body !== undefined ? 'POST' : 'GET'), headers, body, dispatcher: this.dispatcher });
    const text = await res.body.text();
    const setCookie = res.headers['set-cookie'];
    for (const line of setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return {
      status: res.statusCode,
      headers: res.headers,
      text,
      json<T>() {
        return JSON.parse(text) as T;
      },
    };
  }
}
