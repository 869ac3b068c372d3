import { Agent, request } from 'undici';

/** What the load saw; any of the loss counters above 0 fails the run. */
export interface LoadStats {
  requests: number;
  ok: number;
  non2xx: number;
  statuses: Record<string, number>;
  socketErrors: number;
  errorCodes: Record<string, number>;
  /** Sessions whose counter came back lower than the last value the user saw. */
  counterBackwards: number;
  /** Sessions that lost their login or whose counter started again from zero. */
  sessionsReset: number;
  draftsLost: number;
  /** A few examples of what went wrong, for the report. */
  samples: string[];
  backendsSeen: Record<string, number>;
}

export function emptyStats(): LoadStats {
  return { requests: 0, ok: 0, non2xx: 0, statuses: {}, socketErrors: 0, errorCodes: {}, counterBackwards: 0, sessionsReset: 0, draftsLost: 0, samples: [], backendsSeen: {} };
}

interface Reply {
  status: number;
  json: Record<string, unknown> | null;
  backend: string;
}

/**
 * The framework adapters' rolling-restart tests (Flask, Django, Express, Servlet apps have their own routes and
 * login forms): one user with its own session: logs in, then increments its counter and saves drafts, checking every answer
 * against what it wrote before. Requests alternate over the gateways it is given (a session must work through
 * any of them). Sequential per user, so the expected counter is exact.
 */
export class VirtualUser {
  readonly user: string;
  readonly #gateways: string[];
  readonly #agent: Agent;
  readonly #stats: LoadStats;
  readonly #thinkMs: number;
  #cookie: string | null = null;
  #counter = 0;
  #draft = '';
  #seq = 0;
  #broken = false;

  constructor(index: number, gateways: string[], agent: Agent, stats: LoadStats, thinkMs: number) {
    this.user = `user-${index}`;
    this.#gateways = gateways;
    this.#agent = agent;
    this.#stats = stats;
    this.#thinkMs = thinkMs;
  }

  async #call(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<Reply | null> {
    const base = this.#gateways[this.#seq++ % this.#gateways.length]!;
    const headers: Record<string, string> = {};
    if (this.#cookie) headers.cookie = this.#cookie;
    if (body !== undefined) headers['content-type'] = 'application/json';
    this.#stats.requests++;
    try {
      const res = await request(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), dispatcher: this.#agent, headersTimeout: 30_000, bodyTimeout: 30_000 });
      const text = await res.body.text();
      const setCookie = res.headers['set-cookie'];
      for (const line of setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]) {
        const pair = line.split(';')[0]!;
        if (pair.startsWith('gsid=')) this.#cookie = /max-age=0/i.test(line) || pair === 'gsid=' ? null : pair;
      }
      const backend = String(res.headers['x-backend'] ?? '?');
      this.#stats.backendsSeen[backend] = (this.#stats.backendsSeen[backend] ?? 0) + 1;
      this.#stats.statuses[res.statusCode] = (this.#stats.statuses[res.statusCode] ?? 0) + 1;
      if (res.statusCode < 200 || res.statusCode >= 300) {
        this.#stats.non2xx++;
        this.#sample(`${method} ${path} via ${base} → ${res.statusCode} ${text.slice(0, 120).trim()}`);
        return null;
      }
      this.#stats.ok++;
      let json: Record<string, unknown> | null = null;
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        json = null;
      }
      return { status: res.statusCode, json, backend };
    } catch (err) {
      const e = err as { code?: string; cause?: { code?: string }; message?: string };
      const code = e.code ?? e.cause?.code ?? e.message ?? 'error';
      this.#stats.socketErrors++;
      this.#stats.errorCodes[code] = (this.#stats.errorCodes[code] ?? 0) + 1;
      this.#sample(`${method} ${path} via ${base}: ${code}`);
      return null;
    }
  }

  #sample(text: string): void {
    if (this.#stats.samples.length < 12) this.#stats.samples.push(`${this.user}: ${text}`);
  }

  async login(): Promise<boolean> {
    const reply = await this.#call('POST', '/api/login', { user: this.user });
    return reply !== null && this.#cookie !== null;
  }

  /** Loop until `stop()` says so. */
  async run(stop: () => boolean): Promise<void> {
    let step = 0;
    while (!stop()) {
      step++;
      if (step % 3 === 0) await this.saveDraft(step);
      else if (step % 4 === 0) await this.verify();
      else await this.increment();
      if (this.#thinkMs > 0) await new Promise((resolve) => setTimeout(resolve, this.#thinkMs));
    }
  }

  async increment(): Promise<void> {
    const reply = await this.#call('POST', '/api/counter');
    if (!reply) return;
    const seen = Number(reply.json?.counter);
    // The demo answers the hydrated value + 1: exactly our expectation when the session is intact.
    if (seen !== this.#counter + 1) this.#lost(seen <= 1 && this.#counter > 0 ? 'reset' : 'backwards', `counter ${seen}, expected ${this.#counter + 1}`);
    this.#counter = Number.isFinite(seen) ? seen : this.#counter + 1;
  }

  async saveDraft(step: number): Promise<void> {
    const text = `${this.user} draft #${step} — unsaved form input`;
    const reply = await this.#call('PUT', '/api/draft', { text });
    if (reply) this.#draft = text;
  }

  async verify(): Promise<void> {
    const reply = await this.#call('GET', '/api/whoami');
    if (!reply?.json) return;
    const { principal, counter, draft } = reply.json as { principal: unknown; counter: unknown; draft: unknown };
    if (principal !== this.user) this.#lost('reset', `principal ${String(principal)} on ${reply.backend}`);
    else if (counter !== this.#counter) {
      this.#lost(Number(counter) === 0 ? 'reset' : 'backwards', `whoami counter ${String(counter)}, expected ${this.#counter}`);
      this.#counter = Number(counter);
    }
    else if (draft !== this.#draft) {
      this.#stats.draftsLost++;
      this.#sample(`draft lost on ${reply.backend}`);
    }
  }

  #lost(kind: 'reset' | 'backwards', detail: string): void {
    // Count a session once: after the first loss its expectations are re-based on what the store says.
    if (!this.#broken) {
      if (kind === 'reset') this.#stats.sessionsReset++;
      else this.#stats.counterBackwards++;
      this.#broken = true;
    }
    this.#sample(detail);
  }
}
