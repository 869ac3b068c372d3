import { Agent, request } from 'undici';

/**
 * A steady logged-in load for lifecycle tests: each user logs in once, then increments its session counter again and
 * again over keep-alive connections. One user's requests go one after another, so every answer must be exactly
 * the previous counter + 1: anything else is a session break (logged out, another session, a lost write).
 */
export interface LoadResult {
  requests: number;
  failed: number;
  /** Failures by status or error code. */
  failures: Record<string, number>;
  sessionBreaks: number;
  /** Requests answered per backend NAME (the demo app says who answered). */
  backends: Record<string, number>;
}

export class SessionLoad {
  readonly #url: string;
  readonly #agent: Agent;
  readonly #users: number;
  readonly result: LoadResult = { requests: 0, failed: 0, failures: {}, sessionBreaks: 0, backends: {} };
  #running = false;
  #loops: Array<Promise<void>> = [];

  constructor(url: string, users = 6) {
    this.#url = url;
    this.#users = users;
    // A client gives up on an answer that does not come (a connection lost with a killed worker would otherwise hang
    // the loop for undici's 300 s default): it counts as a failed request.
    this.#agent = new Agent({ connections: 2, pipelining: 1, headersTimeout: 15_000, bodyTimeout: 15_000 });
  }

  /** Log every user in, then start their loops. */
  async start(): Promise<void> {
    const cookies = await Promise.all(Array.from({ length: this.#users }, (_, i) => this.#login(`load-user-${i}`)));
    this.#running = true;
    this.#loops = cookies.map((cookie) => this.#loop(cookie));
  }

  /** Stop the loops (each finishes its request in flight) and give back the totals. */
  async stop(): Promise<LoadResult> {
    this.#running = false;
    await Promise.all(this.#loops);
    await this.#agent.close();
    return this.result;
  }

  /** Resolves once at least `n` more requests were answered (progress without fixed sleeps). */
  async moreRequests(n: number, timeoutMs = 30_000): Promise<void> {
    const target = this.result.requests + n;
    const deadline = Date.now() + timeoutMs;
    while (this.result.requests < target) {
      if (Date.now() > deadline) throw new Error(`load stalled at ${this.result.requests} requests (wanted ${target})`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async #login(user: string): Promise<string> {
    const res = await request(`${this.#url}/api/login`, {
      method: 'POST', dispatcher: this.#agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user }),
    });
    await res.body.dump();
    const setCookie = res.headers['set-cookie'];
    const first = Array.isArray(setCookie) ? setCookie[0] : setCookie;
    if (res.statusCode !== 200 || !first) throw new Error(`login of ${user} answered ${res.statusCode}`);
    return first.split(';')[0]!;
  }

  async #loop(cookie: string): Promise<void> {
    let counter = 0;
    // After a failed request its increment may or may not have been applied: the next answer may be one further.
    let unsure = false;
    while (this.#running) {
      const answer = await this.#increment(cookie);
      this.result.requests++;
      if (answer === null) {
        unsure = true;
        continue;
      }
      this.result.backends[answer.backend] = (this.result.backends[answer.backend] ?? 0) + 1;
      const expected = answer.counter === counter + 1 || (unsure && answer.counter === counter + 2);
      if (!expected) this.result.sessionBreaks++;
      counter = answer.counter;
      unsure = false;
    }
  }

  async #increment(cookie: string): Promise<{ counter: number; backend: string } | null> {
    try {
      const res = await request(`${this.#url}/api/counter`, { method: 'POST', dispatcher: this.#agent, headers: { cookie } });
      const text = await res.body.text();
      if (res.statusCode !== 200) return this.#fail(String(res.statusCode));
      // A reset session would come with a new cookie: the counter check below catches it.
      return JSON.parse(text) as { counter: number; backend: string };
    } catch (err) {
      return this.#fail((err as { code?: string }).code ?? (err as Error).message);
    }
  }

  #fail(reason: string): null {
    this.result.failed++;
    this.result.failures[reason] = (this.result.failures[reason] ?? 0) + 1;
    return null;
  }
}
