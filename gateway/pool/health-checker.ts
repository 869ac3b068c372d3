import { Agent, request } from 'undici';
import type { Logger } from '../log.js';
import type { Backend, HealthState } from './backend.js';
import type { CheckResult } from './health-record.js';
import type { UpstreamPool } from './upstream-pool.js';

export interface HealthCheckerOptions {
  log: Logger;
  clock?: () => number;
  /** Called after a backend's health changed (metrics, logs). */
  onChange?: (backend: Backend, from: HealthState, to: HealthState) => void;
  /** Called after every check with its result (metrics). */
  onCheck?: (backend: Backend, ok: boolean) => void;
}

/**
 * Active health checks (docs/architecture.md §6): `GET <path>` on every backend every `intervalMs` with `timeoutMs`, rise/fall
 * counts per backend (health-record.ts). Backends in MAINT are checked too: a rollout waits for a restarted backend
 * to pass `rise` checks before it is READY again. Only a 2xx answer counts as healthy.
 */
export class HealthChecker {
  readonly #pool: UpstreamPool;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #onChange: HealthCheckerOptions['onChange'];
  readonly #onCheck: HealthCheckerOptions['onCheck'];
  // Its own connections: a check must not queue behind (or be counted with) proxied requests.
  readonly #agent = new Agent({ keepAliveTimeout: 1_000, keepAliveMaxTimeout: 1_000, connections: 2 });
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopped = false;

  constructor(pool: UpstreamPool, options: HealthCheckerOptions) {
    this.#pool = pool;
    this.#log = options.log;
    this.#clock = options.clock ?? Date.now;
    this.#onChange = options.onChange;
    this.#onCheck = options.onCheck;
  }

  /**
   * One round over every backend, then the periodic checks. Resolves after the first round (each check is bounded
   * by its timeout), so the gateway can listen knowing which backends answer.
   */
  async start(): Promise<void> {
    const all = this.#backends();
    await Promise.all(all.map(async ([backend, settings]) => {
      await this.checkOnce(backend, settings);
      this.#schedule(backend, settings);
    }));
  }

  #backends(): Array<[Backend, { path: string; intervalMs: number; timeoutMs: number; rise: number; fall: number }]> {
    const out: Array<[Backend, { path: string; intervalMs: number; timeoutMs: number; rise: number; fall: number }]> = [];
    for (const upstream of this.#pool.upstreams()) for (const b of upstream.backends) out.push([b, upstream.settings.health]);
    return out;
  }

  #schedule(backend: Backend, settings: { path: string; intervalMs: number; timeoutMs: number; rise: number; fall: number }): void {
    if (this.#stopped) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.checkOnce(backend, settings).finally(() => this.#schedule(backend, settings));
    }, settings.intervalMs);
    timer.unref();
    this.#timers.add(timer);
  }

  async checkOnce(backend: Backend, settings: { path: string; timeoutMs: number; rise: number; fall: number }): Promise<void> {
    const result = await this.#probe(backend, settings.path, settings.timeoutMs);
    if (this.#stopped) return;
    this.#onCheck?.(backend, result.ok);
    const before = backend.health;
    const now = this.#clock();
    const changed = backend.checks.apply(result, settings.rise, settings.fall, now);
    if (changed === null) return;
    applyHealth(backend, changed, now);
    const level = changed === 'UNHEALTHY' ? 'warn' : 'info';
    this.#log[level]({ event: 'backend.health', backend: backend.name, upstream: backend.upstream, from: before, to: changed, detail: result.detail }, `backend ${backend.name} is ${changed}`);
    this.#onChange?.(backend, before, changed);
  }

  /**
   * One check, bounded by its timeout also while connecting: undici cannot abort a request before it has a connection
   * (the signal waits for onConnect), so a backend that drops SYNs would hold the check, and the first round that
   * start-up waits for, until the agent's own 10 s connect timeout.
   */
  async #probe(backend: Backend, path: string, timeoutMs: number): Promise<CheckResult> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<CheckResult>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, detail: 'UND_ERR_CONNECT_TIMEOUT' }), timeoutMs);
    });
    try {
      return await Promise.race([this.#request(backend, path, timeoutMs), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #request(backend: Backend, path: string, timeoutMs: number): Promise<CheckResult> {
    try {
      const res = await request(`${backend.origin}${path}`, {
        method: 'GET',
        dispatcher: this.#agent,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
        headers: { 'user-agent': 'session-gateway-health-check' },
      });
      await res.body.dump();
      return { ok: res.statusCode >= 200 && res.statusCode < 300, detail: String(res.statusCode) };
    } catch (err) {
      const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string } };
      return { ok: false, detail: e.code ?? e.cause?.code ?? e.name ?? e.message ?? 'error' };
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await this.#agent.close().catch(() => {});
  }
}

/**
 * A backend's health changes in this process (a check here, or one its master ran): healthy again clears its
 * passive failures and, back from UNHEALTHY, ramps its weight up rather than handing it a full share at once.
 */
export function applyHealth(backend: Backend, to: HealthState, now: number): void {
  const before = backend.health;
  backend.health = to;
  if (to !== 'HEALTHY') return;
  backend.passive.reset();
  if (before === 'UNHEALTHY') backend.slowStartSince = now;
}
