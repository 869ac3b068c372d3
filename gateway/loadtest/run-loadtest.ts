import type { AdminClient } from '../cli/admin-client.js';
import type { RolloutOptions } from '../rollout/orchestrator.js';
import { Pools } from './exchange.js';
import { IntegrityChecker } from './integrity.js';
import { LoadEngine } from './load-engine.js';
import type { LoadProgress } from './progress.js';
import { buildReport } from './report-build.js';
import type { LoadtestReport } from './report-types.js';
import { runRolloutUnderLoad, type RolloutRecord } from './rollout-under-load.js';
import type { Scenario } from './scenario.js';
import { loginUsers, mintUsers, removeMinted, type LoginMode } from './sessions-setup.js';
import { VirtualUser, type ResponseCheck } from './virtual-user.js';

export interface LoadtestOptions {
  targets: string[];
  client: AdminClient;
  sessions: number;
  durationMs: number;
  connections: number;
  rate: number | null;
  /** Stop after this many requests instead of after durationMs. */
  amount: number | null;
  timeoutMs: number;
  thinkMs: number;
  scenario: Scenario;
  scenarioName: string;
  login: LoginMode;
  /** Principals are PREFIX1 … PREFIXn. */
  principalPrefix: string;
  /** The mint batch name (removed after the run). */
  batch: string;
  rolling: RolloutOptions | null;
  /** Sessions looked up through the admin API each second while the load runs. */
  samplePerSecond: number;
  command: string;
  /** An app-specific check of each answer (the demo scripts'); the CLI has none. */
  check?: ResponseCheck;
  /** Aborted: the load ends early (a rollout under way still finishes its run), then checks, clean-up and report. */
  signal?: AbortSignal;
}

/** Time the load runs before the rollout starts, and after it ends: the report shows the baseline on both sides. */
const MARGIN_MS = 2_000;

async function setUp(o: LoadtestOptions, progress: LoadProgress): Promise<VirtualUser[]> {
  const principals = Array.from({ length: o.sessions }, (_, i) => `${o.principalPrefix}${i + 1}`);
  if (o.login.kind === 'mint') {
    progress.line(`minting ${o.sessions} logged-in session(s) through ${o.client.url} (batch ${o.batch})…`);
    return mintUsers(o.client, principals, o.login.attributes, o.batch);
  }
  if (o.login.kind === 'login') {
    progress.line(`signing ${o.sessions} user(s) in with ${o.login.request.method} ${o.login.request.path}…`);
    const pools = new Pools(16);
    try {
      return await loginUsers(principals, o.login, new URL(o.targets[0]!), pools, o.timeoutMs, o.client);
    } finally {
      await pools.close();
    }
  }
  const cookieName = o.login.cookieName;
  return principals.map((_, index) => new VirtualUser({ index, principal: null, cookieName }));
}

/** A rollout that threw instead of reporting (a bug or a lost admin API): the load still ends and is reported. */
function failedRollout(err: unknown): RolloutRecord {
  const e = err as { code?: string; message?: string };
  return { result: { ok: false, owner: '', backends: [], error: { code: e.code ?? 'SG_ROLLOUT_ABORTED', message: e.message ?? String(err), outcome: 'aborted', backend: null } }, steps: [], bands: [] };
}

/**
 * One load test (docs/architecture.md §15): sign the users in (mint or the app's login), run the scenario for the
 * duration while sampling the sessions through the admin API, optionally run the rolling restart in the middle
 * (the load lasts until it has ended + a margin), check every session, remove the minted ones, and report.
 */
export async function runLoadtest(o: LoadtestOptions, progress: LoadProgress): Promise<LoadtestReport> {
  const users = await setUp(o, progress);
  let rolloutRunning = o.rolling !== null;
  let rolloutEndedMs = 0;
  let rolloutStep = '';
  const engine: LoadEngine = new LoadEngine({
    targets: o.targets,
    requests: o.scenario.requests,
    users,
    connections: o.connections,
    rate: o.rate,
    durationMs: o.durationMs,
    amount: o.amount ?? undefined,
    keepGoing: (): boolean => rolloutRunning || engine.result.timeline.elapsedMs() < rolloutEndedMs + MARGIN_MS,
    timeoutMs: o.timeoutMs,
    thinkMs: o.thinkMs,
    check: o.check,
    onTick: (timeline) => progress.tick(timeline, o.durationMs, engine.result.broken.length, rolloutStep),
  });
  const integrity = new IntegrityChecker(o.client, engine, users);
  o.signal?.addEventListener('abort', () => engine.stop(), { once: true });
  progress.line(`load: ${users.length} user(s) on ${o.targets.join(', ')} for ${o.amount === null ? `${o.durationMs / 1000} s` : `${o.amount} requests`}${o.rolling ? ' with a rolling restart in the middle' : ''}…`);
  const load = engine.run();
  integrity.startSampling(o.samplePerSecond);
  let rollout: RolloutRecord | null = null;
  try {
    if (o.rolling) {
      await new Promise((resolve) => setTimeout(resolve, MARGIN_MS));
      const elapsedS = () => engine.result.timeline.elapsedMs() / 1000;
      rollout = await runRolloutUnderLoad(o.client, o.rolling, elapsedS, progress.rolloutSink((text) => (rolloutStep = text))).catch((err: unknown) => failedRollout(err));
    }
  } finally {
    rolloutEndedMs = engine.result.timeline.elapsedMs();
    rolloutRunning = false;
  }
  const result = await load;
  await integrity.stopSampling();
  progress.done();
  progress.line(`checking ${users.filter((u) => u.sid !== null).length} session(s) through the admin API…`);
  await integrity.checkAll();
  const cleanup = o.login.kind === 'mint' && users.length > 0 ? await removeMinted(o.client, o.batch) : null;
  return buildReport(o, result, integrity.counts, rollout, cleanup, o.signal?.aborted === true);
}
