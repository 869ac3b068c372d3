import type { LoadtestReport } from './report-types.js';
import type { ErrorCounts } from './timeline.js';

const n = (v: number) => v.toLocaleString('en-US');
const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(2));
const failedOf = (f: ErrorCounts) => f.status + f.socket + f.timeout;
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

function summary(r: LoadtestReport): string[] {
  const t = r.totals;
  return table(['', ''], [
    ['requests', `${n(t.requests)} in ${t.durationS.toFixed(1)} s (${n(Math.round(t.rps))}/s)`],
    ['as expected', n(t.ok)],
    ['failed', `${n(failedOf(t.failed))} (status ${n(t.failed.status)}, socket ${n(t.failed.socket)}, timeout ${n(t.failed.timeout)})`],
    ['latency of successful requests', `p50 ${ms(t.latencyMs.p50)} ms · p99 ${ms(t.latencyMs.p99)} ms · p99.9 ${ms(t.latencyMs.p999)} ms · max ${ms(t.latencyMs.max)} ms`],
    ['statuses', Object.entries(t.statuses).map(([s, c]) => `${s}: ${n(c)}`).join(', ') || '–'],
    ['errors without an answer', Object.entries(t.errorCodes).map(([s, c]) => `${s}: ${n(c)}`).join(', ') || '–'],
    ['sessions', `${n(r.sessions.total)} (${r.settings.login}), broken ${n(r.sessions.broken)}${Object.keys(r.sessions.byReason).length ? ` (${Object.entries(r.sessions.byReason).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`],
    ['integrity checks through the admin API', `${n(r.sessions.checks)}${r.sessions.checkErrors ? `, ${n(r.sessions.checkErrors)} unanswered` : ''}${r.sessions.unverifiable ? `; ${n(r.sessions.unverifiable)} session(s) the gateway did not list (cookie checks only)` : ''}`],
  ]);
}

function perRequest(r: LoadtestReport): string[] {
  return table(['request', 'weight', 'expected', 'sent', 'as expected', 'failed', 'statuses'], r.settings.requests.map((q) => {
    const c = r.perRequest[q.name];
    return [`${q.name} (\`${q.method} ${q.path}\`)`, String(q.weight), q.expect ? q.expect.join(', ') : '2xx', n(c?.count ?? 0), n(c?.ok ?? 0), n(c ? failedOf(c.failed) : 0), c ? Object.entries(c.statuses).map(([s, k]) => `${s}: ${n(k)}`).join(', ') : ''];
  }));
}

function rollout(r: LoadtestReport): string[] {
  if (!r.rollout) return [];
  const ro = r.rollout;
  const lines = ['## Rolling restart', '', ro.ok ? `Done under load: ${ro.backends.length} backend(s), one at a time.` : `**FAILED**: ${ro.error?.message ?? 'unknown'} (${ro.error?.code ?? ''})`, ''];
  lines.push(...table(['backend', 'draining', 'drain', 'restart', 'until healthy', 'out of service'], ro.backends.map((b) => {
    const band = ro.bands.find((x) => x.backend === b.name && x.kind === 'draining');
    return [b.name, band ? `${band.fromS.toFixed(1)}–${band.toS.toFixed(1)} s` : '', `${(b.drainMs / 1000).toFixed(2)} s${b.forced ? ` (FORCED: ${b.leftInFlight} in flight)` : ''}`, `${(b.restartMs / 1000).toFixed(2)} s`, `${(b.readyMs / 1000).toFixed(2)} s`, `${(b.outOfServiceMs / 1000).toFixed(2)} s`];
  })));
  return [...lines, ''];
}

/** The per-second table; a long run shows every k-th second so the file stays readable (the JSON has them all). */
function seconds(r: LoadtestReport): string[] {
  const every = Math.max(1, Math.ceil(r.timeline.length / 60));
  const rows = r.timeline.filter((s) => s.t % every === 0 || failedOf(s.failed) > 0 || s.broken > 0);
  return table(['second', 'requests', 'failed (status/socket/timeout)', 'p50 ms', 'p99 ms', 'broken', 'rollout'], rows.map((s) => {
    const active = (r.rollout?.bands ?? []).filter((b) => b.fromS < s.t + 1 && b.toS >= s.t).map((b) => `${b.kind} ${b.backend}`);
    return [String(s.t), n(s.requests), `${failedOf(s.failed)} (${s.failed.status}/${s.failed.socket}/${s.failed.timeout})`, ms(s.latencyMs.p50), ms(s.latencyMs.p99), String(s.broken), active.join(', ')];
  }));
}

/** The Markdown report, linking the timeline picture `svgName` next to it. */
export function renderLoadtestMarkdown(r: LoadtestReport, svgName: string): string {
  const s = r.settings;
  const lines = [
    `# Load test: ${r.pass ? 'PASS' : 'FAIL'}`,
    '',
    `${r.date} · \`${r.command}\``,
    '',
    `Target ${s.targets.join(', ')} · ${s.sessions} virtual users (${s.login}) · ${s.durationS} s · ${s.rate === null ? `${s.connections} connections` : `${s.rate} req/s over ${s.connections} connections`} · scenario ${s.scenario}${s.rollingRestart ? ` · rolling restart with \`${s.rollingRestart.exec}\`` : ''}`,
    '',
    ...(r.verdict.length ? ['**Why it failed:**', '', ...r.verdict.map((v) => `- ${v}`), ''] : []),
    `![timeline](${svgName})`,
    '',
    '## Summary',
    '',
    ...summary(r),
    '',
    '## Requests',
    '',
    ...perRequest(r),
    '',
    ...rollout(r),
    ...(r.sessions.examples.length ? ['## Broken sessions', '', ...table(['user', 'second', 'why', 'what happened'], r.sessions.examples.map((b) => [b.principal ?? '', String(b.atS), b.reason, b.detail])), ''] : []),
    ...(r.samples.length ? ['## Examples of failures', '', ...r.samples.map((x) => `- ${x.replace(/\n/g, ' ')}`), ''] : []),
    '## Per second',
    '',
    ...seconds(r),
    '',
    '## How to read it',
    '',
    '- A request *failed* when its answer had a status the scenario does not expect (default: any 2xx), when the',
    '  connection failed before an answer (socket) or when no complete answer came within the timeout.',
    '- A session is *broken* when an answer replaced or cleared its cookie (other than a login), when the gateway',
    '  has no live session under its sid (unknown-to-gateway) or one with another principal (principal-changed) —',
    '  looked up through the admin API on a sample every second and for every session after the load —, or when an',
    '  app-specific check failed. Each counts once, in the second it was seen.',
    '- Latencies are those of successful requests, measured by the load generator (which shares the machine).',
    '',
  ];
  return lines.join('\n');
}
