import type { RunResult, ScenarioSummary, SoakResult, TargetResult } from './report-types.js';
import { cpuMicrosPerRequest, median, nullableMedian, ratio } from './stats.js';

/** The thresholds of issues 4 and 9, in one place. */
export const TARGETS = {
  vsExpress: 4,
  /** The same gateway on Redis and on its embedded store, side by side: what the Redis read path costs. */
  vsEmbedded: 0.85,
  /** Issue 11: writing the access log costs the main path a few percent at most. */
  accessLogOnVsOff: 0.95,
  vsPassThrough: 0.9,
  vsNginx: 0.4,
  readCommands: 1,
  writeCommands: 2,
  addedP99Ms: 2,
} as const;

function times(value: number | null): string {
  return value === null ? 'n/a' : `${value.toFixed(2)}×`;
}

/** The rounds in which both scenarios ran, in round order, each with the main run and the other one. */
function pairedRounds(runs: readonly RunResult[], main: string, other: string): Array<[RunResult, RunResult]> {
  const pairs: Array<[RunResult, RunResult]> = [];
  for (const r of runs.filter((x) => x.scenario === main).sort((a, b) => a.round - b.round)) {
    const o = runs.find((x) => x.scenario === other && x.round === r.round);
    if (o) pairs.push([r, o]);
  }
  return pairs;
}

/**
 * A throughput ratio of the main path to another scenario: rps(main) ÷ rps(other) in each round, judged on their
 * median. Its note lists the rounds and, for the reader, the same comparison in CPU time a request (the other's ÷
 * the main path's, so above 1 means the main path costs less): the proxies' own cost, without the share of the cores
 * the load generator, the backend and Redis take.
 */
function ratioTarget(id: string, description: string, runs: readonly RunResult[], [main, other]: [string, string], threshold: number): TargetResult {
  const pairs = pairedRounds(runs, main, other);
  const perRound = pairs.map(([m, o]) => ratio(m.rps, o.rps)).filter((v): v is number => v !== null);
  const value = perRound.length === 0 ? null : median(perRound);
  const cpuMain = nullableMedian(pairs.map(([m]) => cpuMicrosPerRequest(m)));
  const cpuOther = nullableMedian(pairs.map(([, o]) => cpuMicrosPerRequest(o)));
  const cpu = ratio(cpuOther, cpuMain);
  const cpuText = cpu === null ? '' : `; CPU a request (median over these rounds) ${other} ${cpuOther?.toFixed(0)} µs ÷ ${main} ${cpuMain?.toFixed(0)} µs = ${times(cpu)}`;
  return {
    id,
    description,
    measured: times(value),
    threshold: `≥ ${threshold}×`,
    status: value === null ? 'not-measured' : value >= threshold ? 'met' : 'missed',
    ...(value === null ? {} : { note: `rounds ${perRound.map((v) => v.toFixed(2)).join(' / ')}${cpuText}` }),
  };
}

function commandsTarget(id: string, description: string, summary: ScenarioSummary | undefined, max: number): TargetResult {
  const value = summary?.redisRoundTripsPerRequest ?? null;
  const breakdown = summary?.redisRoundTripsByCommand
    ? Object.entries(summary.redisRoundTripsByCommand)
        .filter(([, v]) => v >= 0.01)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(', ')
    : '';
  return {
    id,
    description,
    measured: value === null ? 'n/a' : value.toFixed(3),
    threshold: `≤ ${max}`,
    // A small allowance for the gateway's own background traffic (heartbeats, state sync) spread over the requests.
    status: value === null ? 'not-measured' : value <= max + 0.05 ? 'met' : 'missed',
    note: `commands the gateway sent to Redis per request, from a MONITOR probe of sequential requests (commands run inside a Lua script not counted; a pipeline would count each command; what the gateway's timers sent meanwhile — expiry sweep, stats, heartbeats — is listed as background and not counted)${breakdown ? `: ${breakdown}` : ''}`,
  };
}

/** Evaluates every target of the issue from one run's results. Never throws for missing data: says "not-measured". */
export function evaluateTargets(runs: readonly RunResult[], summary: readonly ScenarioSummary[], soak: SoakResult | null): TargetResult[] {
  const byId = (id: string) => summary.find((s) => s.scenario === id);
  const out: TargetResult[] = [
    ratioTarget('main-vs-express', 'main path on Redis ÷ the express-session stack', runs, ['gateway-redis', 'express'], TARGETS.vsExpress),
    ratioTarget('main-vs-embedded', 'main path on Redis ÷ the same gateway on the embedded store', runs, ['gateway-redis', 'gateway-embedded'], TARGETS.vsEmbedded),
    ratioTarget('access-log-on-vs-off', 'the gateway with an access log to a file ÷ the same without (embedded store)', runs, ['gateway-embedded-log', 'gateway-embedded'], TARGETS.accessLogOnVsOff),
    ratioTarget('main-vs-pass-through', "main path throughput vs the gateway's own pass-through", runs, ['gateway-redis', 'gateway-pass'], TARGETS.vsPassThrough),
    ratioTarget('main-vs-nginx', "main path throughput vs nginx's", runs, ['gateway-redis', 'nginx'], TARGETS.vsNginx),
    commandsTarget('redis-read', 'Redis round trips for a request that reads a session', byId('gateway-redis'), TARGETS.readCommands),
    commandsTarget('redis-write', 'Redis round trips for a request that writes a session', byId('gateway-redis-write'), TARGETS.writeCommands),
  ];

  const direct = byId('direct-rate');
  const main = byId('gateway-redis-rate');
  const added = direct && main ? main.latencyMs.p99 - direct.latencyMs.p99 : null;
  out.push({
    id: 'p99-added',
    description: `p99 latency added over direct at ${main?.rate ?? direct?.rate ?? 1000} req/s`,
    measured: added === null ? 'n/a' : `${added.toFixed(3)} ms (main ${main?.latencyMs.p99.toFixed(3)} ms, direct ${direct?.latencyMs.p99.toFixed(3)} ms)`,
    threshold: `< ${TARGETS.addedP99Ms} ms`,
    status: added === null ? 'not-measured' : added < TARGETS.addedP99Ms ? 'met' : 'missed',
  });

  out.push({
    id: 'soak-bounded',
    description: 'gateway RSS does not grow without bound on a soak of the main path',
    measured: soak === null ? 'n/a' : soak.verdict,
    threshold: 'bounded',
    status: soak === null ? 'not-measured' : soak.samples.length < 6 ? 'not-measured' : soak.bounded ? 'met' : 'missed',
  });
  return out;
}
