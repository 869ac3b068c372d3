import { Pools } from './exchange.js';
import { RatePacer, WeightedPicker } from './pacing.js';
import type { ScenarioRequest } from './scenario.js';
import { emptyErrors, Timeline, type ErrorCounts } from './timeline.js';
import { VirtualUser, type BrokenSession, type ResponseCheck, type SendResult } from './virtual-user.js';

export interface LoadOptions {
  /** Base URLs (`http://host:port`); each user sends its requests to them in turn. */
  targets: readonly string[];
  requests: readonly ScenarioRequest[];
  /** The virtual users; with none, each connection is an anonymous browser of its own. */
  users: VirtualUser[];
  /** Concurrent requests at most (each user has at most one in flight). */
  connections: number;
  /** Overall requests per second, or null for as fast as the connections go. */
  rate: number | null;
  /** Minimum length of the load. */
  durationMs: number;
  /** The load goes on past durationMs while this says so (a rollout still running). */
  keepGoing?: () => boolean;
  /** Stop after this many requests instead. */
  amount?: number;
  timeoutMs: number;
  /** Each user pauses this long after each of its requests (a person reading the page). */
  thinkMs?: number;
  /** Bench mode: every user's cookie is fixed (several connections may share one), no expectation is judged. */
  fixedCookies?: boolean;
  check?: ResponseCheck;
  timeline?: Timeline;
  /** Called about once a second. */
  onTick?: (timeline: Timeline, sent: number) => void;
}

export interface RequestCounts {
  count: number;
  ok: number;
  statuses: Record<string, number>;
  failed: ErrorCounts;
}

/** What a run counted over all its requests. */
export interface RunCounts {
  requests: number;
  ok: number;
  failed: ErrorCounts;
  statuses: Record<string, number>;
  /** Requests without an answer, by error code (ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT, ...). */
  errorCodes: Record<string, number>;
}

export interface LoadResult extends RunCounts {
  timeline: Timeline;
  durationMs: number;
  perRequest: Record<string, RequestCounts>;
  broken: BrokenSession[];
  /** A few failures as examples for the report. */
  samples: string[];
}

const MAX_SAMPLES = 12;

/** The users each worker drives: its own share in jar mode (one request per user at a time), else round robin. */
function usersOf(options: LoadOptions, workers: number): VirtualUser[][] {
  const users = options.users.length > 0 ? options.users : Array.from({ length: workers }, (_, i) => new VirtualUser({ index: i, principal: null, cookieName: '', fixed: options.fixedCookies ?? false }));
  const shares: VirtualUser[][] = Array.from({ length: workers }, () => []);
  if (options.fixedCookies) for (let w = 0; w < workers; w++) shares[w]!.push(users[w % users.length]!);
  else users.forEach((u, i) => shares[i % workers]!.push(u));
  return shares;
}

class LoadRun {
  readonly result: LoadResult;
  readonly #options: LoadOptions;
  readonly #picker: WeightedPicker;
  readonly #pacer: RatePacer | null;
  #sent = 0;
  stopped = false;

  constructor(options: LoadOptions) {
    this.#options = options;
    this.#picker = new WeightedPicker(options.requests.map((r) => r.weight));
    this.#pacer = options.rate === null ? null : new RatePacer(options.rate);
    const perRequest = Object.fromEntries(options.requests.map((r) => [r.name, { count: 0, ok: 0, statuses: {}, failed: emptyErrors() }]));
    const timeline = options.timeline ?? new Timeline();
    this.result = { timeline, durationMs: 0, requests: 0, ok: 0, failed: emptyErrors(), statuses: {}, errorCodes: {}, perRequest, broken: [], samples: [] };
  }

  #more(): boolean {
    const o = this.#options;
    if (this.stopped) return false;
    if (o.amount !== undefined) return this.#sent < o.amount;
    return this.result.timeline.elapsedMs() < o.durationMs || (o.keepGoing?.() ?? false);
  }

  async worker(users: VirtualUser[], targets: readonly URL[], pools: Pools): Promise<void> {
    const { requests, timeoutMs, check } = this.#options;
    for (let k = 0; this.#more(); k++) {
      if (this.#pacer) await this.#pacer.wait();
      if (!this.#more()) break;
      this.#sent++;
      const user = users[k % users.length]!;
      const req = requests[this.#picker.pick()]!;
      const base = targets[(user.index + k) % targets.length]!;
      const sent = await user.send(req, base, pools, timeoutMs, this.#options.fixedCookies ? null : (check ?? null));
      this.#judge(user, req, base, sent);
      if (this.#options.thinkMs) await new Promise((resolve) => setTimeout(resolve, this.#options.thinkMs));
    }
  }

  #judge(user: VirtualUser, req: ScenarioRequest, base: URL, sent: SendResult & { cookie: string }): void {
    const r = this.result;
    const counts = r.perRequest[req.name]!;
    const atS = Math.floor(r.timeline.elapsedMs() / 1000);
    r.timeline.record(sent.kind, sent.latencyMs);
    r.requests++;
    counts.count++;
    if (sent.status !== null) {
      r.statuses[sent.status] = (r.statuses[sent.status] ?? 0) + 1;
      counts.statuses[sent.status] = (counts.statuses[sent.status] ?? 0) + 1;
    }
    if (sent.error) r.errorCodes[sent.error] = (r.errorCodes[sent.error] ?? 0) + 1;
    if (sent.kind === 'ok') {
      r.ok++;
      counts.ok++;
    } else {
      r.failed[sent.kind]++;
      counts.failed[sent.kind]++;
      this.#sample(`${req.name} via ${base.host}${user.principal ? ` as ${user.principal}` : ''}: ${sent.status ?? sent.error}${sent.status && sent.reply?.headers.location ? ` → ${String(sent.reply.headers.location)}` : ''}`);
    }
    if (this.#options.fixedCookies) return;
    if ((sent.cookie === 'replaced' || sent.cookie === 'cleared') && !req.cookieMayChange && user.principal !== null) {
      this.breakSession(user, sent.cookie === 'replaced' ? 'cookie-replaced' : 'cookie-cleared', `${req.name} answered ${sent.status} with a Set-Cookie that ${sent.cookie === 'replaced' ? 'replaced' : 'cleared'} the session cookie`, atS);
    }
    const problem = sent.kind === 'ok' && sent.reply && this.#options.check ? this.#options.check(user, req, sent.reply) : null;
    if (problem) this.breakSession(user, 'app-check', problem, atS);
  }

  breakSession(user: VirtualUser, reason: BrokenSession['reason'], detail: string, atS: number): void {
    if (!user.markBroken(reason, detail, atS)) return;
    this.result.broken.push(user.broken!);
    this.result.timeline.broke();
    this.#sample(`${user.principal}: session broken (${reason}): ${detail}`);
  }

  #sample(text: string): void {
    if (this.result.samples.length < MAX_SAMPLES) this.result.samples.push(text);
  }

  get sent(): number {
    return this.#sent;
  }
}

/**
 * The load loop every load tool of the project uses (docs/architecture.md §15): the `loadtest` command, the bench
 * and the rolling-restart check. Workers (one per connection) send the scenario's requests in weighted turn, each
 * as one of its virtual users, over keep-alive undici pools; every answer is judged (expected status, session
 * cookie kept, the app check) and counted per second.
 */
export class LoadEngine {
  readonly #run: LoadRun;
  readonly #options: LoadOptions;

  constructor(options: LoadOptions) {
    if (options.requests.length === 0) throw new RangeError('a load needs at least one request');
    this.#options = options;
    this.#run = new LoadRun(options);
  }

  get result(): LoadResult {
    return this.#run.result;
  }

  /** Count a session as broken from outside the loop (the admin API no longer knows it). */
  breakSession(user: VirtualUser, reason: BrokenSession['reason'], detail: string): void {
    this.#run.breakSession(user, reason, detail, Math.floor(this.#run.result.timeline.elapsedMs() / 1000));
  }

  /** End the load now (Ctrl-C): requests in flight finish and are counted, no new one starts. */
  stop(): void {
    this.#run.stopped = true;
  }

  async run(): Promise<LoadResult> {
    const o = this.#options;
    const jarUsers = o.fixedCookies ? Number.POSITIVE_INFINITY : Math.max(1, o.users.length || o.connections);
    const workers = Math.max(1, Math.min(o.connections, jarUsers));
    const pools = new Pools(workers + 4);
    const targets = o.targets.map((t) => new URL(t));
    const ticker = setInterval(() => o.onTick?.(this.#run.result.timeline, this.#run.sent), 1000);
    try {
      await Promise.all(usersOf(o, workers).map((users) => this.#run.worker(users, targets, pools)));
    } finally {
      clearInterval(ticker);
      await pools.close();
    }
    this.#run.result.durationMs = this.#run.result.timeline.elapsedMs();
    return this.#run.result;
  }
}
