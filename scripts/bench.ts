/**
 * `npm run bench` — the side-by-side benchmark of issue 4. Starts everything it measures itself (bench backend,
 * redis-server, the gateway on Redis and on the embedded store, nginx, the express-session stack), runs the
 * scenarios interleaved round by round, then the memory scenarios and the soak, and writes bench/reports/latest.*.
 * Targets are evaluated and printed (met / missed), never asserted. See `--help`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchUsageError, parseBenchArgs, USAGE, type BenchOptions } from './bench/args.js';
import { hardFdLimit } from './bench/child-process.js';
import { runLoad } from './bench/load-runner.js';
import { machineInfo } from './bench/machine-info.js';
import { measureIdleConnections, measureSessions } from './bench/memory-scenarios.js';
import { ProcessSampler } from './bench/proc-stats.js';
import { commandsPerRequest } from './bench/redis-stats.js';
import { probeRoundTrips, type RoundTripProbe } from './bench/round-trip-probe.js';
import { summaryTable, targetsTable } from './bench/report-markdown.js';
import { REPORT_VERSION, type BenchReport, type IdleConnectionsResult, type RunResult, type SessionsMemoryResult, type SoakResult } from './bench/report-types.js';
import { writeReport } from './bench/report-writer.js';
import { Progress } from './bench/progress.js';
import { roundOrder, SCENARIOS, type ScenarioDefinition, type SessionKind, type TargetName } from './bench/scenarios.js';
import { createSessions } from './bench/sessions.js';
import { runSoak } from './bench/soak.js';
import { BenchStack } from './bench/stack.js';
import { summarizeRuns } from './bench/stats.js';
import { evaluateTargets } from './bench/targets.js';

/** Sessions per scenario: each connection gets one of these, round-robin (more would only cost set-up time). */
const SESSION_POOL = 64;

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'session-gateway') return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** The soft open-files limit of this process (inherited by a shell we start). */
function ownFdLimit(): number {
  try {
    return Number(execFileSync('bash', ['-c', 'ulimit -Sn'], { encoding: 'utf8' }).trim()) || 1024;
  } catch {
    return 1024;
  }
}

/**
 * The process-model rows (docs/architecture.md §12), started only when one of their scenarios runs: a master with 1
 * and with 2 workers, embedded (each store call an IPC round trip to the master) and on Redis, next to nginx with 1
 * and 2 workers. The comparison rows run `master_process off`, so the embedded pair shows what the default costs.
 */
async function startWorkerTargets(stack: BenchStack, wanted: ReadonlySet<string>, backendPort: number, redisUrl: string): Promise<void> {
  const needed = (target: TargetName) => SCENARIOS.some((s) => s.target === target && wanted.has(s.id));
  if (needed('gateway-embedded-w1')) await stack.startGateway('gateway-embedded-w1', backendPort, null);
  if (needed('gateway-redis-w1')) await stack.startGateway('gateway-redis-w1', backendPort, redisUrl);
  if (needed('gateway-embedded-w2')) await stack.startGateway('gateway-embedded-w2', backendPort, null);
  if (needed('gateway-redis-w2')) await stack.startGateway('gateway-redis-w2', backendPort, redisUrl);
  if (needed('nginx-w2')) await stack.startNginx(backendPort, 'nginx-w2');
}

class BenchRun {
  readonly runs: RunResult[] = [];
  readonly notes: string[] = [];
  readonly #options: BenchOptions;
  readonly #stack: BenchStack;
  readonly #progress: Progress;
  readonly #cookies = new Map<string, string[]>();
  readonly #dead = new Set<TargetName>();

  constructor(options: BenchOptions, stack: BenchStack, progress: Progress) {
    this.#options = options;
    this.#stack = stack;
    this.#progress = progress;
  }

  async cookiesFor(target: TargetName, session: SessionKind): Promise<string[]> {
    if (session.kind === 'none') return [];
    const key = `${target}:${session.kind === 'filled' ? session.bytes : 'login'}`;
    const cached = this.#cookies.get(key);
    if (cached) return cached;
    const port = this.#stack.targets.get(target)?.port;
    if (port === undefined) throw new Error(`${target} is not running`);
    const cookies = await createSessions(port, SESSION_POOL, session, key.replace(/[^a-z0-9]/gi, '-'));
    this.#cookies.set(key, cookies);
    return cookies;
  }

  /** One run of one scenario: the load engine + /proc sampling of the target + INFO commandstats delta. */
  async measure(scenario: ScenarioDefinition, round: number, durationS: number): Promise<RunResult | null> {
    const target = this.#stack.targets.get(scenario.target);
    if (!target || this.#dead.has(scenario.target)) return null;
    const connections = scenario.fixedRate ? this.#options.rateConnections : (scenario.connections ?? this.#options.connections);
    const rate = scenario.fixedRate ? this.#options.fixedRate : null;
    const cookies = await this.cookiesFor(scenario.target, scenario.session);
    const redis = ['gateway-redis', 'gateway-redis-wait', 'gateway-redis-w1', 'gateway-redis-w2', 'express'].includes(scenario.target) ? this.#stack.redis : null;
    const sampler = new ProcessSampler(target.child.pid);
    const statsBefore = redis ? await redis.commandStats() : null;
    sampler.start();
    const spec = { port: target.port, path: scenario.path, connections, durationS, rate, cookies, connectionPerRequest: scenario.connectionPerRequest === true };
    const outcome = await runLoad(spec, (f) => this.#progress.bar(f, scenario.label));
    const proc = sampler.stop();
    const usage = redis && statsBefore ? commandsPerRequest(statsBefore, await redis.commandStats(), outcome.requests) : null;
    if (!target.child.alive) {
      this.#dead.add(scenario.target);
      this.notes.push(`CRASH during "${scenario.label}" (round ${round + 1}): ${target.child.unexpectedExit ?? 'process gone'}`);
    }
    const odd = Object.entries(outcome.statusCodes).filter(([code]) => !code.startsWith('2'));
    if (odd.length > 0 || outcome.socketErrors > 0) {
      this.notes.push(`"${scenario.label}" round ${round + 1}: ${outcome.socketErrors} socket errors (${outcome.timeouts} timeouts), status codes ${JSON.stringify(outcome.statusCodes)}`);
    }
    const result: RunResult = {
      scenario: scenario.id,
      round,
      connections,
      durationS: outcome.durationS,
      rate,
      requests: outcome.requests,
      rps: outcome.rps,
      latencyMs: outcome.latencyMs,
      errors: { non2xx: outcome.non2xx, socket: outcome.socketErrors, timeouts: outcome.timeouts },
      process: proc,
      redis: usage ? { commandsPerRequest: usage.total, byCommand: usage.byCommand } : null,
    };
    this.#progress.info(
      `${scenario.label}: ${Math.round(result.rps).toLocaleString('en-US')} req/s, p99 ${result.latencyMs.p99.toFixed(2)} ms, ` +
        `errors ${result.errors.non2xx + result.errors.socket}${usage ? `, redis ${usage.total.toFixed(2)} cmd/req` : ''}`,
    );
    return result;
  }
}

function selectedScenarios(options: BenchOptions): Set<string> {
  const known = new Set(SCENARIOS.map((s) => s.id));
  for (const id of options.only) if (!known.has(id as never)) throw new BenchUsageError(`unknown scenario "${id}" (known: ${[...known].join(', ')})`);
  return new Set(options.only.length > 0 ? options.only : known);
}

async function main(argv: string[]): Promise<number> {
  const options = parseBenchArgs(argv);
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const wanted = selectedScenarios(options);
  const fdLimit = hardFdLimit();
  const machine = machineInfo();
  const memorySteps = options.skipMemory ? 0 : 2;
  const plannedRuns = options.rounds * SCENARIOS.filter((s) => wanted.has(s.id)).length;
  const progress = new Progress(9 + plannedRuns + memorySteps + (options.soakMinutes > 0 ? 1 : 0) + 1);
  const stack = new BenchStack(fdLimit, options.cpuProfDir ? resolve(options.cpuProfDir) : null);
  const run = new BenchRun(options, stack, progress);
  const stopOnSignal = () => {
    progress.info('interrupted: stopping every process the bench started');
    void stack.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  let idle: IdleConnectionsResult | null = null;
  let sessions: SessionsMemoryResult | null = null;
  let soak: SoakResult | null = null;
  const roundTrips = new Map<string, RoundTripProbe>();
  try {
    progress.step('starting the bench backend');
    const backend = await stack.startBackend();
    progress.step('starting redis-server on a free port');
    const redis = await stack.startRedis();
    progress.step('starting the gateway (Redis store)');
    await stack.startGateway('gateway-redis', backend.port, redis.url);
    if (wanted.has('gateway-redis-write-wait')) {
      progress.step('starting a replica of the redis-server and the gateway whose commits wait for it');
      if (await stack.startReplica()) await stack.startGateway('gateway-redis-wait', backend.port, redis.url);
    }
    progress.step('starting the gateway (embedded store)');
    await stack.startGateway('gateway-embedded', backend.port, null);
    progress.step('starting the gateway (embedded store, access log to a file)');
    await stack.startGateway('gateway-embedded-log', backend.port, null);
    progress.step('starting nginx');
    await stack.startNginx(backend.port);
    progress.step('starting the process-model targets (master + 1 and + 2 workers, nginx with 2)');
    await startWorkerTargets(stack, wanted, backend.port, redis.url);
    progress.step('starting the express-session stack');
    await stack.startExpress(backend.port, redis.url);

    const available = new Set(stack.targets.keys());
    progress.step(`warming up ${[...available].join(', ')}`);
    const warmS = options.quick ? 0.5 : 2;
    for (const scenario of SCENARIOS.filter((s) => s.group === 'compare' && available.has(s.target) && wanted.has(s.id))) {
      await run.measure(scenario, -1, warmS);
    }
    run.runs.length = 0;
    run.notes.length = 0;

    for (let round = 0; round < options.rounds; round += 1) {
      for (const scenario of roundOrder(round, available).filter((s) => wanted.has(s.id))) {
        progress.step(`round ${round + 1}/${options.rounds}: ${scenario.label}`);
        const result = await run.measure(scenario, round, options.durationS);
        if (result) run.runs.push(result);
      }
    }

    progress.step('Redis round trips per request (MONITOR probe)');
    for (const scenario of SCENARIOS.filter((s) => ['gateway-pass', 'gateway-redis', 'gateway-redis-write', 'gateway-redis-write-wait', 'express'].includes(s.id) && wanted.has(s.id))) {
      const target = stack.targets.get(scenario.target);
      if (!target || !target.child.alive || !stack.redis) continue;
      const cookie = (await run.cookiesFor(scenario.target, scenario.session))[0] ?? null;
      let probe: RoundTripProbe;
      try {
        probe = await probeRoundTrips(stack.redis.port, target.port, scenario.path, cookie);
      } catch (err) {
        run.notes.push(`${scenario.label}: Redis round trips not measured (${(err as Error).message})`);
        continue;
      }
      roundTrips.set(scenario.id, probe);
      progress.info(`${scenario.label}: ${probe.perRequest.toFixed(2)} Redis round trips per request ${JSON.stringify(probe.byCommand)}`);
    }

    const main = stack.targets.get('gateway-redis');
    if (!options.skipMemory) {
      progress.step(`memory: ${options.idleConnections.toLocaleString('en-US')} idle keep-alive connections to the gateway`);
      const own = ownFdLimit();
      const count = Math.min(options.idleConnections, Math.max(0, own - 500));
      if (count < options.idleConnections) run.notes.push(`idle connections capped at ${count} by this process's open-files limit (${own}); raise it with \`ulimit -n\``);
      if (count > 0 && stack.redis) {
        // A fresh gateway, so that the RSS delta is the connections' and not what the load runs left in the heap.
        const fresh = await stack.startGateway('gateway-redis', stack.targets.get('backend')?.port ?? 0, stack.redis.url, false);
        if (fresh) {
          try {
            idle = await measureIdleConnections(fresh, count, Math.min(own, fdLimit), (f) => progress.bar(f, 'opening connections'));
          } finally {
            await fresh.child.stop();
          }
        }
      }
      progress.step(`memory: ${options.sessions.toLocaleString('en-US')} sessions in the store`);
      if (options.sessions > 0) sessions = await measureSessions(stack.targets.get('gateway-embedded'), main, stack.redis, options.sessions, (f) => progress.bar(f, 'creating sessions'));
    }
    if (options.soakMinutes > 0) {
      progress.step(`soak: ${options.soakMinutes} min on the main path`);
      if (main && main.child.alive) {
        const cookies = await run.cookiesFor('gateway-redis', { kind: 'login' });
        soak = await runSoak(main, options.soakMinutes, options.connections, cookies, (f, rss) => progress.bar(f, `RSS ${(rss / 1024 / 1024).toFixed(1)} MiB`));
      }
    }
  } finally {
    run.notes.push(...stack.crashes().map((c) => `CRASH: ${c}`));
    await stack.close();
  }

  progress.step('writing the report');
  const summary = summarizeRuns(run.runs, SCENARIOS.map((s) => ({ id: s.id, label: s.label })));
  for (const row of summary) {
    const probe = roundTrips.get(row.scenario);
    if (probe) {
      row.redisRoundTripsPerRequest = probe.perRequest;
      row.redisRoundTripsByCommand = probe.byCommand;
    }
  }
  const report: BenchReport = {
    version: REPORT_VERSION,
    date: new Date().toISOString(),
    command: ['node', relative(process.cwd(), fileURLToPath(import.meta.url)), ...argv].join(' '),
    quick: options.quick,
    machine,
    settings: {
      rounds: options.rounds,
      durationS: options.durationS,
      connections: options.connections,
      fixedRate: options.fixedRate,
      rateConnections: options.rateConnections,
      soakMinutes: options.soakMinutes,
      idleConnections: options.idleConnections,
      sessions: options.sessions,
    },
    runs: run.runs,
    summary,
    memory: { idle, sessions },
    soak,
    targets: evaluateTargets(run.runs, summary, soak),
    notes: [
      ...stack.notes,
      ...run.notes,
      `the gateway runs with \`set $session_max_bytes 16k;\` so the 8 KiB sweep fits (the default, 6k, caps the X-Session header for backends with an 8 KiB head limit) and \`set $session_create_rate off;\` (every virtual user comes from one address); both proxies keep 64 idle upstream connections`,
      `nginx runs with one worker process and the gateway's comparison rows with \`master_process off\` (one Node process); the "2 workers" rows run two of each; the load generator shares the ${machine.cores} cores`,
    ],
  };
  const outDir = options.outDir ? resolve(options.outDir) : join(repoRoot(), 'bench', 'reports');
  const files = writeReport(report, outDir);
  progress.done();
  if (options.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    process.stdout.write(`\n${summaryTable(summary)}\n\n${targetsTable(report.targets)}\n\nreport: ${files.markdown} (+ .json, .svg)\n`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof BenchUsageError) {
      process.stderr.write(`bench: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`bench: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
