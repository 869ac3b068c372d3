import type { LatencySummary } from '../../gateway/loadtest/latency-histogram.js';

/**
 * The shape of a benchmark report (bench/reports/latest.json). Pure data: the writers (Markdown, SVG) and the target
 * evaluation read only this, so they are unit-testable without running anything. Bump `version` on breaking changes.
 */

export const REPORT_VERSION = 1;

/** Scenario ids are stable: the JSON report and the ratios refer to them. */
export type ScenarioId =
  | 'direct'
  | 'nginx'
  | 'gateway-pass'
  | 'gateway-redis'
  | 'gateway-embedded'
  | 'gateway-embedded-log'
  | 'express'
  | 'gateway-redis-write'
  | 'gateway-redis-write-wait'
  | 'gateway-redis-1k'
  | 'gateway-redis-4k'
  | 'gateway-redis-8k'
  | 'gateway-redis-c10'
  | 'gateway-redis-c1000'
  | 'gateway-embedded-w1'
  | 'gateway-redis-w1'
  | 'nginx-w2'
  | 'gateway-redis-w2'
  | 'gateway-embedded-w2'
  | 'direct-rate'
  | 'gateway-redis-rate'
  | 'nginx-churn'
  | 'gateway-redis-churn'
  | 'gateway-redis-w1-churn';

export type { LatencySummary };

export interface ProcessSample {
  /** Peak resident set size seen while the run lasted. */
  rssMaxBytes: number;
  rssEndBytes: number;
  /** User + system CPU over the run, as a percentage of one core (can exceed 100 with threads). */
  cpuPercent: number;
}

export interface RedisUsage {
  commandsPerRequest: number;
  /** Per command name (lower case), calls per request; `info` (our own sampling) excluded. */
  byCommand: Record<string, number>;
}

/** One load run of one scenario in one round. */
export interface RunResult {
  scenario: ScenarioId;
  round: number;
  connections: number;
  durationS: number;
  /** Fixed rate in req/s when the run was rate-limited (request k starts at k/rate), else null. */
  rate: number | null;
  requests: number;
  rps: number;
  /** Milliseconds, from our own microsecond-resolution recorder (gateway/loadtest/latency-histogram.ts). */
  latencyMs: LatencySummary;
  errors: { non2xx: number; socket: number; timeouts: number };
  /** The process that does the work behind the port (gateway, nginx master+worker, express, or the backend). */
  process: ProcessSample | null;
  redis: RedisUsage | null;
}

/** Per scenario, the median over rounds. */
export interface ScenarioSummary {
  scenario: ScenarioId;
  label: string;
  connections: number;
  rate: number | null;
  rounds: number;
  rps: number;
  latencyMs: LatencySummary;
  errors: number;
  rssMaxBytes: number | null;
  cpuPercent: number | null;
  /** Median over rounds of the process's CPU time a request, µs (stats.ts cpuMicrosPerRequest). */
  cpuMicrosPerRequest: number | null;
  /** INFO commandstats under load, per request: includes the commands Lua scripts run inside Redis. */
  redisCommandsPerRequest: number | null;
  redisByCommand: Record<string, number> | null;
  /** Commands the client sent (= round trips, or parts of a pipelined one), from a MONITOR probe; null = not probed. */
  redisRoundTripsPerRequest: number | null;
  redisRoundTripsByCommand: Record<string, number> | null;
  /** Median over rounds of rps(this) / rps(baseline) in the same round; null when the baseline did not run. */
  ratios: { direct: number | null; nginx: number | null; express: number | null };
}

export interface IdleConnectionsResult {
  target: 'gateway-redis';
  requested: number;
  opened: number;
  stillOpen: number;
  failed: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  bytesPerConnection: number;
  fdLimit: number;
}

export interface SessionsMemoryResult {
  sessions: number;
  createdPerSecond: number;
  errors: number;
  embeddedRssBeforeBytes: number | null;
  embeddedRssAfterBytes: number | null;
  redisUsedMemoryBeforeBytes: number | null;
  redisUsedMemoryAfterBytes: number | null;
}

export interface SoakResult {
  minutes: number;
  samples: Array<{ tS: number; rssBytes: number }>;
  requests: number;
  errors: number;
  rps: number;
  /** Linear fit of RSS over time, bytes per minute (all samples, and the second half only). */
  slopeBytesPerMin: number;
  secondHalfSlopeBytesPerMin: number;
  bounded: boolean;
  verdict: string;
}

export type TargetStatus = 'met' | 'missed' | 'not-measured';

export interface TargetResult {
  id: string;
  description: string;
  /** Human-readable measured value, e.g. "5.1×". */
  measured: string;
  threshold: string;
  status: TargetStatus;
  note?: string;
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  os: string;
  node: string;
  redis: string | null;
  nginx: string | null;
  fdLimit: number;
}

export interface BenchReport {
  version: number;
  date: string;
  command: string;
  quick: boolean;
  machine: MachineInfo;
  settings: {
    rounds: number;
    durationS: number;
    connections: number;
    fixedRate: number;
    rateConnections: number;
    soakMinutes: number;
    idleConnections: number;
    sessions: number;
  };
  runs: RunResult[];
  summary: ScenarioSummary[];
  memory: { idle: IdleConnectionsResult | null; sessions: SessionsMemoryResult | null };
  soak: SoakResult | null;
  targets: TargetResult[];
  /** Scenarios skipped, and anything else the reader must know (e.g. "nginx not installed"). */
  notes: string[];
}
