import type { IntegrityCounts } from './integrity.js';
import type { LoadResult } from './load-engine.js';
import { LOADTEST_REPORT_VERSION, type LoadtestReport } from './report-types.js';
import type { RolloutRecord } from './rollout-under-load.js';
import type { LoadtestOptions } from './run-loadtest.js';
import type { BreakReason } from './virtual-user.js';

const MAX_EXAMPLES = 20;

/** Why the run fails, one line each: a failed request, a broken session, a failed rollout or no load at all. */
export function verdictOf(result: LoadResult, rollout: RolloutRecord | null, interrupted = false): string[] {
  const f = result.failed;
  const failed = f.status + f.socket + f.timeout;
  const lines: string[] = [];
  if (interrupted) lines.push(`interrupted after ${(result.durationMs / 1000).toFixed(1)} s: the load did not run its course`);
  if (result.requests === 0) lines.push('no request was sent');
  if (failed > 0) lines.push(`${failed} request(s) failed: ${f.status} unexpected status, ${f.socket} socket error(s), ${f.timeout} timeout(s)`);
  if (result.broken.length > 0) lines.push(`${result.broken.length} session(s) broke: ${Object.entries(reasonsOf(result)).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  if (rollout && !rollout.result.ok) lines.push(`the rolling restart failed: ${rollout.result.error?.message ?? 'unknown'} (${rollout.result.error?.code ?? 'SG_ROLLOUT_ABORTED'})`);
  return lines;
}

function reasonsOf(result: LoadResult): Partial<Record<BreakReason, number>> {
  const byReason: Partial<Record<BreakReason, number>> = {};
  for (const b of result.broken) byReason[b.reason] = (byReason[b.reason] ?? 0) + 1;
  return byReason;
}

/** The report's data from what the run saw. */
export function buildReport(o: LoadtestOptions, result: LoadResult, integrity: IntegrityCounts, rollout: RolloutRecord | null, cleanup: LoadtestReport['sessions']['cleanup'], interrupted = false): LoadtestReport {
  const verdict = verdictOf(result, rollout, interrupted);
  const durationS = result.durationMs / 1000;
  return {
    version: LOADTEST_REPORT_VERSION,
    date: new Date().toISOString(),
    command: o.command,
    pass: verdict.length === 0,
    verdict,
    settings: {
      targets: o.targets,
      admin: o.login.kind === 'mint' || o.rolling || integrity.checks > 0 ? o.client.url : null,
      sessions: o.sessions,
      login: o.login.kind,
      durationS: o.durationMs / 1000,
      connections: o.connections,
      rate: o.rate,
      amount: o.amount,
      timeoutS: o.timeoutMs / 1000,
      thinkMs: o.thinkMs,
      scenario: o.scenarioName,
      requests: o.scenario.requests.map((r) => ({ name: r.name, method: r.method, path: r.path, weight: r.weight, expect: r.expect })),
      rollingRestart: o.rolling ? { exec: o.rolling.exec, drainTimeoutS: o.rolling.drainTimeoutMs / 1000, readyTimeoutS: o.rolling.readyTimeoutMs / 1000, settleS: o.rolling.settleMs / 1000 } : null,
    },
    totals: {
      durationS,
      requests: result.requests,
      ok: result.ok,
      failed: result.failed,
      rps: durationS > 0 ? result.requests / durationS : 0,
      latencyMs: result.timeline.total.summary(),
      statuses: result.statuses,
      errorCodes: result.errorCodes,
    },
    perRequest: result.perRequest,
    sessions: {
      total: o.sessions,
      broken: result.broken.length,
      byReason: reasonsOf(result),
      ...integrity,
      examples: result.broken.slice(0, MAX_EXAMPLES),
      cleanup,
    },
    rollout: rollout
      ? { ok: rollout.result.ok, error: rollout.result.error ? { code: rollout.result.error.code, message: rollout.result.error.message } : null, backends: rollout.result.backends, steps: rollout.steps, bands: rollout.bands }
      : null,
    timeline: result.timeline.seconds(),
    samples: result.samples,
  };
}
