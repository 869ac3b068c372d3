import { Agent, request } from 'undici';
import { startDemoBackend, type DemoBackend } from './backend-process.js';
import { startGateway, type GatewayUnderTest } from './gateway-process.js';
import { waitFor } from './wait-for.js';

/**
 * A logged-in increment load for failover tests: each user logs in once, then sends `POST /api/counter` (an `incr`
 * write-back) again and again, one request at a time. Every answer is booked by what it promises: 200 = applied,
 * 503 SG_STORE_UNAVAILABLE = not applied, anything else (504, a reset) = not known. So once the store is back,
 * each user's stored counter must lie between its 200s and its 200s + unknowns: below is a lost acknowledged write,
 * above is a 503 that lied (or a write applied twice).
 */
export interface UserTally {
  user: string;
  cookie: string;
  applied: number;
  refused: number;
  unknown: number;
  /** 200s since the last call of markFailover(): the store took writes again after the switch. */
  appliedSinceMark: number;
}

export class IncrementLoad {
  readonly #url: string;
  readonly #userPrefix: string;
  readonly #agent = new Agent({ connections: 32, pipelining: 1 });
  readonly users: UserTally[] = [];
  readonly statuses: Record<string, number> = {};
  #running = false;
  #loops: Array<Promise<void>> = [];

  /** `userPrefix` names the users (`<prefix>-0`, …): two loads on one gateway log in users of their own. */
  constructor(url: string, userPrefix = 'inc-user') {
    this.#url = url;
    this.#userPrefix = userPrefix;
  }

  async start(users: number): Promise<void> {
    for (let i = 0; i < users; i++) {
      const user = `${this.#userPrefix}-${i}`;
      const res = await request(`${this.#url}/api/login`, {
        method: 'POST', dispatcher: this.#agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user }),
      });
      await res.body.dump();
      const cookie = String(res.headers['set-cookie'] ?? '').split(';')[0]!;
      if (res.statusCode !== 200 || !cookie) throw new Error(`login of ${user} answered ${res.statusCode}`);
      this.users.push({ user, cookie, applied: 0, refused: 0, unknown: 0, appliedSinceMark: 0 });
    }
    this.#running = true;
    this.#loops = this.users.map((u) => this.#loop(u));
  }

  /** Start counting the 200s after this point (call it once the failover is under way). */
  markFailover(): void {
    for (const u of this.users) u.appliedSinceMark = 0;
  }

  /** Once `n` more increments were answered 200 (progress without fixed sleeps). */
  async moreApplied(n: number, timeoutMs: number): Promise<void> {
    const target = this.applied + n;
    await waitFor(() => this.applied >= target, { what: `${n} more increments`, timeoutMs });
  }

  get applied(): number {
    return this.users.reduce((n, u) => n + u.applied, 0);
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }

  async #loop(u: UserTally): Promise<void> {
    while (this.#running) {
      let status = 'error';
      try {
        const res = await request(`${this.#url}/api/counter`, { method: 'POST', dispatcher: this.#agent, headers: { cookie: u.cookie }, headersTimeout: 30_000 });
        const text = await res.body.text();
        status = res.statusCode === 503 && /SG_STORE_UNAVAILABLE/.test(text) ? '503' : String(res.statusCode);
      } catch {
        // A reset or a timeout: the client cannot know.
      }
      this.statuses[status] = (this.statuses[status] ?? 0) + 1;
      if (status === '200') {
        u.applied++;
        u.appliedSinceMark++;
      } else if (status === '503') {
        u.refused++;
        // Back off a little while the store is away, as a browser's user would.
        await new Promise((resolve) => setTimeout(resolve, 50));
      } else u.unknown++;
    }
  }

  /** Once every user had `n` increments answered 200 since markFailover(); names the ones left behind if not. */
  async servedAgain(n: number, timeoutMs: number, why: () => string): Promise<void> {
    await waitFor(() => this.users.every((u) => u.appliedSinceMark >= n), { what: 'every user to be served again after the switch', timeoutMs })
      .catch((err: Error) => {
        const stuck = this.users.filter((u) => u.appliedSinceMark < n).map((u) => u.user);
        throw new Error(`${err.message}: ${stuck.join(', ')} not served; answers ${JSON.stringify(this.statuses)}; ${why()}`);
      });
  }

  /** Every user whose stored counter is below its 200s (a lost write) or above its 200s + unknowns (a 503 applied). */
  async violations(): Promise<string[]> {
    const found: string[] = [];
    for (const u of this.users) {
      const stored = await this.storedCounter(u);
      if (stored < u.applied) found.push(`${u.user}: ${u.applied} increments answered 200, but the store holds ${stored} (acknowledged writes lost)`);
      if (stored > u.applied + u.unknown) found.push(`${u.user}: the store holds ${stored}, more than ${u.applied} applied + ${u.unknown} not known (a 503 was applied)`);
    }
    return found;
  }

  /** Each user's counter as the gateway now reads it (retried while the store answers 503). */
  async storedCounter(u: UserTally): Promise<number> {
    for (;;) {
      const res = await request(`${this.#url}/api/whoami`, { dispatcher: this.#agent, headers: { cookie: u.cookie } });
      const text = await res.body.text();
      if (res.statusCode === 200) {
        const who = JSON.parse(text) as { principal: string | null; counter: number };
        if (who.principal !== u.user) throw new Error(`${u.user}'s cookie now opens ${JSON.stringify(who.principal)}: the session was lost`);
        return who.counter;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async close(): Promise<void> {
    await this.stop();
    await this.#agent.close();
  }
}

/** A demo backend, a gateway on `redisUrl` whose commits wait for one replica, and a load on it (not started). */
export class FailoverRig {
  private constructor(readonly backend: DemoBackend, readonly gateway: GatewayUnderTest, readonly load: IncrementLoad) {}

  static async start(redisUrl: string): Promise<FailoverRig> {
    const backend = await startDemoBackend();
    try {
      const gateway = await startGateway({
        backends: [backend.name], redisUrl,
        serverExtra: 'set $session_wait_replicas 1; set $session_wait_timeout 500ms; set $session_create_rate off;',
      });
      return new FailoverRig(backend, gateway, new IncrementLoad(gateway.url));
    } catch (err) {
      await backend.process.stop();
      throw err;
    }
  }

  /** How many log records of the gateway have this event. */
  logged(event: string): number {
    return this.gateway.process.records().filter((r) => r.event === event).length;
  }

  /** The gateway's last warnings and errors, for a failure message. */
  lastWarnings(): string {
    return this.gateway.process.records().filter((r) => (r.level as number) >= 40).slice(-5).map((r) => JSON.stringify(r).slice(0, 400)).join('\n');
  }

  async close(): Promise<void> {
    await this.load.close();
    await this.gateway.process.stop();
    await this.backend.process.stop();
  }
}
