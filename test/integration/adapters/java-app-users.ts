import { Agent, request } from 'undici';
import type { LoadStats } from '../../helpers/framework-virtual-users.js';

/** How one example application is used: its form login, its Ajax counter, its 204 autosave, its status JSON. */
export interface JavaAppRoutes {
  login: (user: string) => { path: string; form: Record<string, string> };
  counter: string;
  draft: string;
  status: string;
  /** The status JSON's fields for the principal, the counter and the draft. */
  fields: { principal: string; counter: string; draft: string };
}

export const SHOP: JavaAppRoutes = {
  login: (user) => ({ path: '/login', form: { id: user, name: user.toUpperCase() } }),
  counter: '/counter',
  draft: '/draft',
  status: '/status',
  fields: { principal: 'user', counter: 'counter', draft: 'draft' },
};

export const EGOV_PORTAL: JavaAppRoutes = {
  login: (user) => ({ path: '/egov/uat/uia/actionLogin.do', form: { id: user, password: 'egov1234' } }),
  counter: '/egov/cmm/counter.do',
  draft: '/egov/cmm/draft.do',
  status: '/egov/cmm/whoami.do',
  fields: { principal: 'principal', counter: 'counter', draft: 'draft' },
};

/** The load's extra count: a container session cookie reaching the client would be a failure of the filter. */
export interface JavaLoadStats extends LoadStats {
  containerSessionCookies: number;
}

/**
 * A logged-in user of a Java example app, driven like a browser: form login, then counter increments, draft
 * autosaves and status checks, each answer checked against what the user wrote before. Sequential per user.
 */
export class JavaAppUser {
  readonly user: string;
  readonly #base: string;
  readonly #routes: JavaAppRoutes;
  readonly #agent: Agent;
  readonly #stats: JavaLoadStats;
  #cookie: string | null = null;
  #counter = 0;
  #draft: string | null = null;
  #broken = false;

  constructor(user: string, base: string, routes: JavaAppRoutes, agent: Agent, stats: JavaLoadStats) {
    this.user = user;
    this.#base = base;
    this.#routes = routes;
    this.#agent = agent;
    this.#stats = stats;
  }

  async #call(method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<{ status: number; text: string } | null> {
    const headers: Record<string, string> = {};
    if (this.#cookie) headers.cookie = this.#cookie;
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    this.#stats.requests++;
    try {
      const res = await request(`${this.#base}${path}`, { method, headers, body: form ? new URLSearchParams(form).toString() : undefined, dispatcher: this.#agent, headersTimeout: 30_000, bodyTimeout: 30_000 });
      const text = await res.body.text();
      const setCookie = res.headers['set-cookie'];
      for (const line of setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]) {
        if (/jsessionid/i.test(line)) this.#stats.containerSessionCookies++;
        const pair = line.split(';')[0]!;
        if (pair.startsWith('gsid=')) this.#cookie = /max-age=0/i.test(line) || pair === 'gsid=' ? null : pair;
      }
      if (/jsessionid/i.test(text)) this.#stats.containerSessionCookies++;
      this.#stats.statuses[res.statusCode] = (this.#stats.statuses[res.statusCode] ?? 0) + 1;
      // A form login answers with its redirect; everything else with 2xx.
      const ok = res.statusCode >= 200 && res.statusCode < (path === this.#routes.login(this.user).path ? 400 : 300);
      if (!ok) {
        this.#stats.non2xx++;
        this.#sample(`${method} ${path} → ${res.statusCode} ${text.slice(0, 160).trim()}`);
        return null;
      }
      this.#stats.ok++;
      return { status: res.statusCode, text };
    } catch (err) {
      const e = err as { code?: string; message?: string };
      const code = e.code ?? e.message ?? 'error';
      this.#stats.socketErrors++;
      this.#stats.errorCodes[code] = (this.#stats.errorCodes[code] ?? 0) + 1;
      this.#sample(`${method} ${path}: ${code}`);
      return null;
    }
  }

  #sample(text: string): void {
    if (this.#stats.samples.length < 12) this.#stats.samples.push(`${this.user}: ${text}`);
  }

  async login(): Promise<boolean> {
    const { path, form } = this.#routes.login(this.user);
    return (await this.#call('POST', path, form)) !== null && this.#cookie !== null;
  }

  async run(stop: () => boolean, thinkMs: number): Promise<void> {
    for (let step = 1; !stop(); step++) {
      if (step % 3 === 0) await this.saveDraft(step);
      else if (step % 4 === 0) await this.verify();
      else await this.increment();
      if (thinkMs > 0) await new Promise((resolve) => setTimeout(resolve, thinkMs));
    }
    await this.verify();
  }

  async increment(): Promise<void> {
    const reply = await this.#call('POST', this.#routes.counter);
    if (!reply) return;
    const seen = Number((JSON.parse(reply.text) as { counter: unknown }).counter);
    if (seen !== this.#counter + 1) this.#lost(seen <= 1 && this.#counter > 0 ? 'reset' : 'backwards', `counter ${seen}, expected ${this.#counter + 1}`);
    this.#counter = Number.isFinite(seen) ? seen : this.#counter + 1;
  }

  async saveDraft(step: number): Promise<void> {
    const text = `${this.user} draft #${step}: 반쯤 쓴 글 — unsaved form input`;
    if (await this.#call('POST', this.#routes.draft, { text })) this.#draft = text;
  }

  async verify(): Promise<void> {
    const reply = await this.#call('GET', this.#routes.status);
    if (!reply) return;
    const status = JSON.parse(reply.text) as Record<string, unknown>;
    const { principal, counter, draft } = this.#routes.fields;
    if (status[principal] !== this.user) this.#lost('reset', `principal ${String(status[principal])} on port ${String(status.port)}`);
    else if ((status[counter] ?? 0) !== this.#counter) this.#lost('backwards', `status counter ${String(status[counter])}, expected ${this.#counter}`);
    else if ((status[draft] ?? null) !== this.#draft) {
      this.#stats.draftsLost++;
      this.#sample(`draft lost on port ${String(status.port)}`);
    }
    const port = `port ${String(status.port)}`;
    this.#stats.backendsSeen[port] = (this.#stats.backendsSeen[port] ?? 0) + 1;
  }

  #lost(kind: 'reset' | 'backwards', detail: string): void {
    if (!this.#broken) {
      if (kind === 'reset') this.#stats.sessionsReset++;
      else this.#stats.counterBackwards++;
      this.#broken = true;
    }
    this.#sample(detail);
  }
}
