import type { BackendOutcome } from '../rollout/orchestrator.js';
import type { LatencySummary } from './latency-histogram.js';
import type { RequestCounts, RunCounts } from './load-engine.js';
import type { RolloutBand, RolloutStep } from './rollout-under-load.js';
import type { SecondStats } from './timeline.js';
import type { BreakReason, BrokenSession } from './virtual-user.js';

export const LOADTEST_REPORT_VERSION = 1;

/**
 * The load test's report (`report.json` in the --out folder, printed by --json). Pure data: the Markdown and SVG
 * writers read only this, so they are testable without a run. Bump the version on breaking changes.
 */
export interface LoadtestReport {
  version: number;
  date: string;
  command: string;
  pass: boolean;
  /** Why it failed, one line each (empty when it passed). */
  verdict: string[];
  settings: {
    targets: string[];
    admin: string | null;
    sessions: number;
    login: 'mint' | 'login' | 'anonymous';
    durationS: number;
    connections: number;
    rate: number | null;
    /** The load stopped after this many requests (instead of after durationS). */
    amount: number | null;
    timeoutS: number;
    thinkMs: number;
    scenario: string;
    requests: Array<{ name: string; method: string; path: string; weight: number; expect: number[] | null }>;
    rollingRestart: { exec: string; drainTimeoutS: number; readyTimeoutS: number; settleS: number } | null;
  };
  totals: RunCounts & { durationS: number; rps: number; latencyMs: LatencySummary };
  perRequest: Record<string, RequestCounts>;
  sessions: {
    total: number;
    broken: number;
    byReason: Partial<Record<BreakReason, number>>;
    /** Admin API look-ups during and after the load, those that failed, and sessions it could not be asked about. */
    checks: number;
    checkErrors: number;
    unverifiable: number;
    /** The first broken sessions, with what happened. */
    examples: BrokenSession[];
    /** Minted sessions removed after the run (null when none were minted). */
    cleanup: { removed: number; gone: number } | { error: string } | null;
  };
  rollout: {
    ok: boolean;
    error: { code: string; message: string } | null;
    backends: BackendOutcome[];
    steps: RolloutStep[];
    bands: RolloutBand[];
  } | null;
  timeline: SecondStats[];
  samples: string[];
}
