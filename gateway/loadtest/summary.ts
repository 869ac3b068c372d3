import type { LoadtestReport } from './report-types.js';

/** The few lines a run prints on stdout (without --json): the verdict, then the numbers. */
export function summaryLines(report: LoadtestReport, reportFile: string | null): string[] {
  const t = report.totals;
  const lines = [
    `load test: ${report.pass ? 'PASS' : 'FAIL'}`,
    ...report.verdict.map((v) => `  ${v}`),
    `  requests   ${t.requests.toLocaleString('en-US')} in ${t.durationS.toFixed(1)} s (${Math.round(t.rps).toLocaleString('en-US')}/s), as expected ${t.ok.toLocaleString('en-US')}`,
    `  failed     status ${t.failed.status}, socket ${t.failed.socket}, timeout ${t.failed.timeout}${Object.keys(t.statuses).length ? `; statuses ${JSON.stringify(t.statuses)}` : ''}`,
    `  latency    p50 ${t.latencyMs.p50.toFixed(2)} ms, p99 ${t.latencyMs.p99.toFixed(2)} ms, max ${t.latencyMs.max.toFixed(1)} ms`,
    `  sessions   ${report.sessions.total} (${report.settings.login}), broken ${report.sessions.broken}, admin checks ${report.sessions.checks}`,
    ...(report.rollout ? [`  rollout    ${report.rollout.ok ? 'done' : 'FAILED'}: ${report.rollout.backends.map((b) => `${b.name} out ${(b.outOfServiceMs / 1000).toFixed(1)} s`).join(', ')}`] : []),
    ...(reportFile ? [`  report     ${reportFile} (+ report.json, timeline.svg)`] : []),
  ];
  return lines;
}
