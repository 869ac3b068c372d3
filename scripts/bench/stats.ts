import type { LatencySummary, RunResult, ScenarioId, ScenarioSummary } from './report-types.js';

/** Median of the finite values; NaN for none. The median, not the mean, so one disturbed round does not move it. */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** a / b, or null when either is missing or b is not positive (a ratio against nothing means nothing). */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return null;
  return a / b;
}

export interface LinearFit {
  slope: number;
  intercept: number;
}

/** Ordinary least squares y = slope·x + intercept; slope 0 for fewer than two distinct x. */
export function linearFit(points: ReadonlyArray<{ x: number; y: number }>): LinearFit {
  const n = points.length;
  if (n === 0) return { slope: 0, intercept: 0 };
  const meanX = points.reduce((s, p) => s + p.x, 0) / n;
  const meanY = points.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.x - meanX) ** 2;
    sxy += (p.x - meanX) * (p.y - meanY);
  }
  if (sxx === 0) return { slope: 0, intercept: meanY };
  const slope = sxy / sxx;
  return { slope, intercept: meanY - slope * meanX };
}

/**
 * CPU time the process behind the port spent on one request, in µs: its CPU share over the run ÷ the requests a
 * second. On a machine whose cores the load generator, the backend and Redis share with it, this is the proxy's own
 * cost, which throughput alone mixes with theirs; null when the process was not sampled.
 */
export function cpuMicrosPerRequest(run: RunResult): number | null {
  if (!run.process || !(run.rps > 0)) return null;
  return (run.process.cpuPercent / 100) * 1e6 / run.rps;
}

function medianLatency(runs: readonly RunResult[]): LatencySummary {
  return {
    p50: median(runs.map((r) => r.latencyMs.p50)),
    p99: median(runs.map((r) => r.latencyMs.p99)),
    p999: median(runs.map((r) => r.latencyMs.p999)),
    mean: median(runs.map((r) => r.latencyMs.mean)),
    max: Math.max(...runs.map((r) => r.latencyMs.max)),
  };
}

/** Median of the values present; null when none is. */
export function nullableMedian(values: ReadonlyArray<number | null | undefined>): number | null {
  const present = values.filter((v): v is number => v != null && Number.isFinite(v));
  return present.length === 0 ? null : median(present);
}

/** Median over rounds of rps(run) / rps(baseline run of the same round). */
function roundRatio(runs: readonly RunResult[], all: readonly RunResult[], baseline: ScenarioId): number | null {
  const perRound = runs.map((run) => {
    const base = all.find((b) => b.scenario === baseline && b.round === run.round);
    return ratio(run.rps, base?.rps);
  });
  return nullableMedian(perRound);
}

function medianByCommand(runs: readonly RunResult[]): Record<string, number> | null {
  const withRedis = runs.filter((r) => r.redis !== null);
  if (withRedis.length === 0) return null;
  const names = new Set(withRedis.flatMap((r) => Object.keys(r.redis?.byCommand ?? {})));
  const out: Record<string, number> = {};
  for (const name of [...names].sort()) out[name] = median(withRedis.map((r) => r.redis?.byCommand[name] ?? 0));
  return out;
}

/**
 * One line per scenario, in the order given: medians over rounds, and ratios to direct / nginx / express computed
 * round by round (so slow drift of the machine cancels out) before taking their median.
 */
export function summarizeRuns(runs: readonly RunResult[], order: ReadonlyArray<{ id: ScenarioId; label: string }>): ScenarioSummary[] {
  const out: ScenarioSummary[] = [];
  for (const { id, label } of order) {
    const mine = runs.filter((r) => r.scenario === id);
    if (mine.length === 0) continue;
    const first = mine[0] as RunResult;
    out.push({
      scenario: id,
      label,
      connections: first.connections,
      rate: first.rate,
      rounds: mine.length,
      rps: median(mine.map((r) => r.rps)),
      latencyMs: medianLatency(mine),
      errors: mine.reduce((s, r) => s + r.errors.non2xx + r.errors.socket, 0),
      rssMaxBytes: nullableMedian(mine.map((r) => r.process?.rssMaxBytes)),
      cpuPercent: nullableMedian(mine.map((r) => r.process?.cpuPercent)),
      cpuMicrosPerRequest: nullableMedian(mine.map(cpuMicrosPerRequest)),
      redisCommandsPerRequest: nullableMedian(mine.map((r) => r.redis?.commandsPerRequest)),
      redisByCommand: medianByCommand(mine),
      redisRoundTripsPerRequest: null,
      redisRoundTripsByCommand: null,
      ratios: {
        direct: first.rate === null ? roundRatio(mine, runs, 'direct') : null,
        nginx: first.rate === null ? roundRatio(mine, runs, 'nginx') : null,
        express: first.rate === null ? roundRatio(mine, runs, 'express') : null,
      },
    });
  }
  return out;
}

/**
 * Whether RSS over a soak looks bounded. RSS of a Node process is a GC sawtooth, so a line through a few samples can
 * point anywhere, and the peaks depend on when the collector happens to run; what a leak lifts is the troughs (the
 * live heap after a collection). The soak is split in thirds (the first is warm-up: JIT, pools, buffers); the last
 * third's lowest RSS may not exceed the middle third's by more than 10 % of the mean RSS (at least 4 MiB).
 * The linear-fit slopes are reported alongside, for the reader.
 */
export function judgeSoak(samples: ReadonlyArray<{ tS: number; rssBytes: number }>): {
  slopeBytesPerMin: number;
  secondHalfSlopeBytesPerMin: number;
  bounded: boolean;
  verdict: string;
} {
  const toPoints = (list: ReadonlyArray<{ tS: number; rssBytes: number }>) => list.map((s) => ({ x: s.tS / 60, y: s.rssBytes }));
  const all = linearFit(toPoints(samples));
  const late = linearFit(toPoints(samples.slice(Math.floor(samples.length / 2))));
  if (samples.length < 6) {
    return { slopeBytesPerMin: all.slope, secondHalfSlopeBytesPerMin: late.slope, bounded: true, verdict: 'too few samples to judge' };
  }
  const third = Math.floor(samples.length / 3);
  const middle = samples.slice(third, 2 * third).map((s) => s.rssBytes);
  const last = samples.slice(2 * third).map((s) => s.rssBytes);
  const growth = Math.min(...last) - Math.min(...middle);
  const meanRss = samples.reduce((s, p) => s + p.rssBytes, 0) / samples.length;
  const allowance = Math.max(0.1 * meanRss, 4 * 1024 * 1024);
  const bounded = growth <= allowance;
  const mib = (b: number) => (b / 1024 / 1024).toFixed(1);
  const detail = `lowest RSS of the last third vs the middle third up ${mib(growth)} MiB (allowance ${mib(allowance)} MiB); linear fit ${mib(all.slope)} MiB/min`;
  return { slopeBytesPerMin: all.slope, secondHalfSlopeBytesPerMin: late.slope, bounded, verdict: `${bounded ? 'bounded' : 'GROWING'}: ${detail}` };
}
