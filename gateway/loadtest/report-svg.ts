import type { LoadtestReport } from './report-types.js';
import { escapeXml, niceMax } from './svg.js';
import type { SecondStats } from './timeline.js';

const WIDTH = 960;
const LEFT = 64;
const RIGHT = 24;
const PANEL_H = 110;
const PANEL_GAP = 40;
const TOP = 100;
/** Band labels sit in two rows above the first panel: drains on the first, restarts on the second. */
const BAND_LABEL_Y = [58, 70] as const;
const PLOT_W = WIDTH - LEFT - RIGHT;

const COLOR = { ok: '#1f77b4', status: '#d62728', socket: '#9467bd', timeout: '#8c564b', broken: '#000000', p99: '#ff7f0e', p50: '#999999', draining: '#fdd49e', restarting: '#fcbba1' };

interface Panel {
  title: string;
  y0: number;
  max: number;
  format: (v: number) => string;
}

function fmt(v: number): string {
  return v >= 10_000 ? `${(v / 1000).toFixed(0)}k` : v >= 1000 ? `${(v / 1000).toFixed(1)}k` : v >= 10 || v === 0 ? v.toFixed(0) : v.toFixed(1);
}

function axes(p: Panel, seconds: number): string[] {
  const out = [`<text x="${LEFT}" y="${p.y0 - 8}" class="h">${escapeXml(p.title)}</text>`];
  for (let tick = 0; tick <= 2; tick++) {
    const y = p.y0 + PANEL_H - (PANEL_H * tick) / 2;
    out.push(`<line x1="${LEFT}" y1="${y}" x2="${LEFT + PLOT_W}" y2="${y}" class="grid"/>`);
    out.push(`<text x="${LEFT - 6}" y="${y + 4}" class="tick" text-anchor="end">${escapeXml(p.format((p.max * tick) / 2))}</text>`);
  }
  const step = Math.max(1, Math.ceil(seconds / 12));
  for (let s = 0; s <= seconds; s += step) {
    out.push(`<text x="${(LEFT + (PLOT_W * s) / seconds).toFixed(1)}" y="${p.y0 + PANEL_H + 13}" class="tick" text-anchor="middle">${s}s</text>`);
  }
  return out;
}

/** Stacked bars, one per second: `parts` gives each layer's value and colour. */
function bars(p: Panel, rows: readonly SecondStats[], seconds: number, parts: (r: SecondStats) => Array<[number, string]>): string[] {
  const w = PLOT_W / seconds;
  const out: string[] = [];
  for (const r of rows) {
    let y = p.y0 + PANEL_H;
    for (const [value, color] of parts(r)) {
      if (!(value > 0)) continue;
      const h = (PANEL_H * Math.min(value, p.max)) / p.max;
      y -= h;
      out.push(`<rect x="${(LEFT + r.t * w + 0.5).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, w - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${color}"/>`);
    }
  }
  return out;
}

function line(p: Panel, rows: readonly SecondStats[], seconds: number, value: (r: SecondStats) => number, color: string, width: number): string {
  const w = PLOT_W / seconds;
  const points = rows.filter((r) => r.ok > 0).map((r) => `${(LEFT + (r.t + 0.5) * w).toFixed(1)},${(p.y0 + PANEL_H - (PANEL_H * Math.min(value(r), p.max)) / p.max).toFixed(1)}`);
  return points.length === 0 ? '' : `<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="${width}"/>`;
}

/** The rollout's steps as shaded bands over every panel, each named by its backend and what it was doing. */
function bands(report: LoadtestReport, seconds: number, bottom: number): string[] {
  const out: string[] = [];
  for (const b of report.rollout?.bands ?? []) {
    const x = LEFT + (PLOT_W * b.fromS) / seconds;
    const w = Math.max(2, (PLOT_W * (b.toS - b.fromS)) / seconds);
    const top = BAND_LABEL_Y[0] - 10;
    out.push(`<rect x="${x.toFixed(1)}" y="${top}" width="${w.toFixed(1)}" height="${bottom - top}" fill="${COLOR[b.kind]}" opacity="0.55"><title>${escapeXml(`${b.backend} ${b.kind} ${b.fromS.toFixed(1)}–${b.toS.toFixed(1)} s`)}</title></rect>`);
    out.push(`<text x="${(x + 2).toFixed(1)}" y="${BAND_LABEL_Y[b.kind === 'draining' ? 0 : 1]}" class="band">${escapeXml(`${b.kind === 'draining' ? 'drain' : 'restart'} ${b.backend}`)}</text>`);
  }
  return out;
}

/**
 * The load test's timeline as a standalone SVG: requests per second (successful and failed), p50/p99 latency,
 * errors by kind with broken sessions, and the rolling restart's steps as bands naming the backend.
 */
export function renderTimeline(report: LoadtestReport): string {
  const rows = report.timeline;
  const seconds = Math.max(1, rows.length, Math.ceil(Math.max(0, ...(report.rollout?.bands ?? []).map((b) => b.toS))));
  const panels: Panel[] = [
    { title: 'requests per second (blue: as expected, red: failed)', y0: TOP, max: niceMax(Math.max(...rows.map((r) => r.requests), 1)), format: fmt },
    { title: 'latency of successful requests, ms (orange: p99, grey: p50)', y0: TOP + PANEL_H + PANEL_GAP, max: niceMax(Math.max(...rows.map((r) => r.latencyMs.p99), 0.1)), format: (v) => (v >= 10 ? v.toFixed(0) : v.toFixed(1)) },
    { title: 'failed requests per second (red: status, purple: socket, brown: timeout) and sessions broken (black)', y0: TOP + 2 * (PANEL_H + PANEL_GAP), max: niceMax(Math.max(...rows.map((r) => r.failed.status + r.failed.socket + r.failed.timeout + r.broken), 1)), format: fmt },
  ];
  const bottom = panels[2]!.y0 + PANEL_H;
  const height = bottom + 44;
  const t = report.totals;
  const subtitle = `${report.date} · ${report.settings.sessions} sessions (${report.settings.login}) · ${t.requests.toLocaleString('en-US')} requests in ${t.durationS.toFixed(1)} s · p99 ${t.latencyMs.p99.toFixed(1)} ms · failed ${t.failed.status + t.failed.socket + t.failed.timeout} · broken ${report.sessions.broken}`;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    '<style>.t{font-size:16px;font-weight:bold}.s{font-size:11px;fill:#555}.h{font-size:12px;font-weight:bold}.tick{font-size:10px;fill:#777}.band{font-size:10px;fill:#7f2704}.grid{stroke:#e5e5e5;stroke-width:1}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" class="t">${escapeXml(`session-gateway load test: ${report.pass ? 'PASS' : 'FAIL'}`)}</text>`,
    `<text x="12" y="40" class="s">${escapeXml(subtitle)}</text>`,
    ...bands(report, seconds, bottom),
    ...panels.flatMap((p) => axes(p, seconds)),
    ...bars(panels[0]!, rows, seconds, (r) => [[r.ok, COLOR.ok], [r.requests - r.ok, COLOR.status]]),
    line(panels[1]!, rows, seconds, (r) => r.latencyMs.p50, COLOR.p50, 1),
    line(panels[1]!, rows, seconds, (r) => r.latencyMs.p99, COLOR.p99, 2),
    ...bars(panels[2]!, rows, seconds, (r) => [[r.failed.status, COLOR.status], [r.failed.socket, COLOR.socket], [r.failed.timeout, COLOR.timeout], [r.broken, COLOR.broken]]),
    `<text x="12" y="${height - 12}" class="s">${escapeXml(report.rollout ? `rolling restart ${report.rollout.ok ? 'done' : 'FAILED'}: bands show each backend draining (amber) and restarting until READY (red)` : 'no rolling restart in this run')}</text>`,
    '</svg>',
  ];
  return parts.filter((p) => p !== '').join('\n') + '\n';
}
