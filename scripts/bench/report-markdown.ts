import type { BenchReport, ScenarioSummary, TargetResult } from './report-types.js';

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes)) return 'n/a';
  const abs = Math.abs(bytes);
  if (abs >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  if (abs >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  if (abs >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${Math.round(bytes)} B`;
}

function num(value: number | null | undefined, digits = 0): string {
  if (value == null || !Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function times(value: number | null): string {
  return value === null ? '–' : `${value.toFixed(2)}×`;
}

/** Escape the one character that breaks a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export function summaryTable(rows: readonly ScenarioSummary[]): string {
  const head = [
    '| scenario | conns | req/s | p50 ms | p99 ms | p99.9 ms | errors | RSS | CPU | CPU µs/req | Redis RT/req | Redis cmd/req | ×direct | ×nginx | ×express |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  const body = rows.map((s) =>
    [
      cell(s.rate === null ? s.label : `${s.label} (${s.rate} req/s)`),
      String(s.connections),
      num(s.rps),
      num(s.latencyMs.p50, 2),
      num(s.latencyMs.p99, 2),
      num(s.latencyMs.p999, 2),
      num(s.errors),
      formatBytes(s.rssMaxBytes),
      s.cpuPercent === null ? 'n/a' : `${s.cpuPercent.toFixed(0)} %`,
      s.cpuMicrosPerRequest === null ? 'n/a' : num(s.cpuMicrosPerRequest),
      s.redisRoundTripsPerRequest === null ? '–' : s.redisRoundTripsPerRequest.toFixed(2),
      s.redisCommandsPerRequest === null ? '–' : s.redisCommandsPerRequest.toFixed(2),
      times(s.ratios.direct),
      times(s.ratios.nginx),
      times(s.ratios.express),
    ].join(' | '),
  );
  return [...head, ...body.map((line) => `| ${line} |`)].join('\n');
}

export function targetsTable(targets: readonly TargetResult[]): string {
  const mark = (t: TargetResult) => (t.status === 'met' ? '✅ met' : t.status === 'missed' ? '❌ missed' : '⚪ not measured');
  const lines = ['| target | threshold | measured | status |', '|---|---|---|---|'];
  for (const t of targets) {
    lines.push(`| ${cell(t.description)} | ${cell(t.threshold)} | ${cell(t.measured)} | ${mark(t)} |`);
  }
  const notes = targets.filter((t) => t.note).map((t) => `- *${t.description}*: ${t.note}`);
  return [...lines, '', ...notes].join('\n');
}

function memorySection(report: BenchReport): string {
  const out: string[] = ['## Memory', ''];
  const idle = report.memory.idle;
  if (idle) {
    out.push(
      `- **Idle keep-alive connections** (a freshly started gateway on Redis, one request each, then held open): ${num(idle.opened)} of ${num(idle.requested)} opened, ` +
        `${num(idle.stillOpen)} still open when sampled, ${num(idle.failed)} failed. Gateway RSS ${formatBytes(idle.rssBeforeBytes)} → ` +
        `${formatBytes(idle.rssAfterBytes)} (≈ ${formatBytes(idle.bytesPerConnection)} per connection). Open-files limit: ${num(idle.fdLimit)}.`,
    );
  } else {
    out.push('- Idle keep-alive connections: not measured.');
  }
  const s = report.memory.sessions;
  if (s) {
    out.push(
      `- **${num(s.sessions)} sessions in the store** (created at ${num(s.createdPerSecond)}/s, ${num(s.errors)} errors): embedded gateway RSS ` +
        `${formatBytes(s.embeddedRssBeforeBytes)} → ${formatBytes(s.embeddedRssAfterBytes)}; Redis used_memory ` +
        `${formatBytes(s.redisUsedMemoryBeforeBytes)} → ${formatBytes(s.redisUsedMemoryAfterBytes)}.`,
    );
  } else {
    out.push('- Sessions in the store: not measured.');
  }
  const soak = report.soak;
  if (soak) {
    const points = soak.samples.map((p) => `${Math.round(p.tS)} s: ${formatBytes(p.rssBytes)}`).join(', ');
    out.push(
      `- **Soak** ${soak.minutes} min on the main path: ${num(soak.rps)} req/s, ${num(soak.errors)} errors; RSS trend ` +
        `${formatBytes(soak.slopeBytesPerMin)}/min overall, ${formatBytes(soak.secondHalfSlopeBytesPerMin)}/min in the second half — ${soak.verdict}.`,
      `  Samples: ${points || 'none'}.`,
    );
  } else {
    out.push('- Soak: not run.');
  }
  return out.join('\n');
}

const HOW_TO_READ = `## How to read this report

- Every scenario is run once per round, and the rounds are interleaved, so slow drift of the machine hits all of them
  alike. The table shows the **median over rounds**; ratios (×direct, ×nginx, ×express) are computed **within each
  round** and then their median taken. The runs a ratio target compares run next to each other in every round (the
  main path between the express-session stack and the embedded store, the access log next to the embedded store),
  each side first in every other round.
- *direct* is the bench backend hit without a proxy: the ceiling of this machine. The load generator (the project's undici
  load engine, gateway/loadtest/) runs on the same machine and takes one of its cores, so every number here is for "one core of proxy work".
- *RSS / CPU* are of the process behind the port (the gateway, the nginx master + worker, the express process, or the
  backend for *direct*), sampled from /proc while the run lasted; CPU is in % of one core. *CPU µs/req* is that
  process's CPU time per request (CPU share ÷ req/s, median over rounds): the proxy's own cost, which req/s mixes with
  the load generator's, the backend's and Redis' on the cores they share; each ratio target's note gives it too.
- *Redis RT/req* is what the Redis targets are judged on: the commands the proxy sent to Redis per request, counted
  with \`MONITOR\` on a probe of 200 sequential requests (a command a Lua script runs inside Redis is not a round trip
  and is not counted, nor is what the gateway's timers send meanwhile: the expiry sweep's scripts, the
  stats, heartbeats — the target's note lists them as background). *Redis cmd/req* is the \`INFO commandstats\` delta over the load run divided by the requests:
  it includes the commands inside scripts, so it shows how much work Redis does per request.
- *write, wait_replicas 1* is the write row with \`$session_wait_replicas 1\`: each commit and a \`WAIT 1 500\` go
  in one pipeline (one round trip, though the probe counts the WAIT as a command). Whenever it runs the bench Redis
  has a replica, for every row, so the write row next to it pays the same replication stream and the two differ by
  the wait alone: the replica's acknowledgement and the commit connections it holds meanwhile.
- Latencies are recorded by the load engine at microsecond resolution (an HDR histogram with 1 ms steps would hide
  the differences). The fixed-rate rows start request k at k/rate over few connections (2 by default): at most that
  many requests in flight, so the p99 difference is the latency the proxy adds, not queueing inside a burst.
- The gateway rows without "master + N workers" run \`master_process off\` (one process, the embedded store in it),
  so the store comparisons compare the stores and nothing else. The gateway's default is a master and one worker
  (\`worker_processes 1\`, as nginx): with the embedded store every session read and write of a worker is then an
  IPC round trip to the master, which holds the store — *embedded, master + 1 worker* against *gateway + session,
  embedded* is what the default costs. *master + 2 workers* and *nginx proxy, 2 workers* compare two workers each;
  their RSS and CPU are summed over the master and its workers. On a 2-core machine that also runs the load
  generator and the backend, a second worker has no core of its own: it adds context switches, and the master (the
  accept and hand-over of connections and, embedded, every store call) is a third busy process — expect little or no
  gain, or a loss.
  On a machine with a core per worker plus the master's, Redis rows scale with the workers (each has its own
  connections) until Redis or the backend is the limit; embedded rows scale until the master's one event loop,
  serving every worker's store calls, is saturated — past that, use Redis.
- The "a connection per request" rows send \`Connection: close\` on every request, so each is a new connection:
  what accepting costs. With a master (*master + 1 worker*) the master accepts each connection and hands it to the
  worker over IPC, keeping its copy until the worker says it took it (docs/architecture.md §12), and the row's CPU
  includes the master's; against *main path, a connection per request* (one process) it is what that hand-over costs.
- Targets are evaluated and printed, never asserted by tests: a miss is a finding to profile, not a failed build.`;

export function renderMarkdown(report: BenchReport, chartFile: string | null): string {
  const m = report.machine;
  const s = report.settings;
  const lines = [
    '# session-gateway benchmark',
    '',
    `- Date: ${report.date}${report.quick ? ' — **quick run** (short durations, one round; numbers are indicative only)' : ''}`,
    `- Command: \`${report.command}\``,
    `- Machine: ${m.cpuModel}, ${m.cores} cores, ${formatBytes(m.memoryBytes)} memory, ${m.os}; open-files limit ${num(m.fdLimit)}`,
    `- Node ${m.node}; Redis ${m.redis ?? 'not found'}; nginx ${m.nginx ?? 'not found'}`,
    `- Settings: ${s.rounds} round(s) × ${s.durationS} s per scenario, ${s.connections} connections by default, ` +
      `fixed rate ${s.fixedRate} req/s over ${s.rateConnections} connections, soak ${s.soakMinutes} min, ${num(s.idleConnections)} idle connections, ${num(s.sessions)} sessions`,
    '',
  ];
  if (chartFile) lines.push(`![requests per second by scenario](${chartFile})`, '');
  lines.push('## Summary', '', summaryTable(report.summary), '', '## Targets', '', targetsTable(report.targets), '', memorySection(report), '');
  if (report.notes.length > 0) lines.push('## Notes', '', ...report.notes.map((n) => `- ${n}`), '');
  lines.push(HOW_TO_READ, '');
  return lines.join('\n');
}
