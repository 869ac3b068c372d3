import type { BenchReport, RunResult, ScenarioId } from '../../../../scripts/bench/report-types.js';

/** A RunResult with plausible defaults, for the pure report/stat tests. */
export function run(scenario: ScenarioId, round: number, rps: number, extra: Partial<RunResult> = {}): RunResult {
  return {
    scenario,
    round,
    connections: 100,
    durationS: 10,
    rate: null,
    requests: rps * 10,
    rps,
    latencyMs: { p50: 1, p99: 2, p999: 3, mean: 1.1, max: 5 },
    errors: { non2xx: 0, socket: 0, timeouts: 0 },
    process: { rssMaxBytes: 100 * 1024 * 1024, rssEndBytes: 90 * 1024 * 1024, cpuPercent: 95 },
    redis: null,
    ...extra,
  };
}

export function emptyReport(overrides: Partial<BenchReport> = {}): BenchReport {
  return {
    version: 1,
    date: '2026-01-01T00:00:00.000Z',
    command: 'node dist/scripts/bench.js --quick',
    quick: true,
    machine: { cpuModel: 'Test CPU', cores: 2, memoryBytes: 2 ** 34, os: 'Linux 6', node: 'v20.20.2', redis: '7.0.15', nginx: '1.22.1', fdLimit: 20000 },
    settings: { rounds: 1, durationS: 2, connections: 100, fixedRate: 1000, rateConnections: 2, soakMinutes: 0.5, idleConnections: 2000, sessions: 10000 },
    runs: [],
    summary: [],
    memory: { idle: null, sessions: null },
    soak: null,
    targets: [],
    notes: [],
    ...overrides,
  };
}
