import { escapeXml, niceMax } from '../../gateway/loadtest/svg.js';
import type { ScenarioSummary } from './report-types.js';

export { escapeXml, niceMax };

export interface BarChartOptions {
  title: string;
  subtitle?: string;
}

const COLORS: Record<string, string> = {
  direct: '#8c8c8c',
  nginx: '#2ca02c',
  express: '#d62728',
  main: '#1f77b4',
  gateway: '#6baed6',
};

function colorFor(row: ScenarioSummary): string {
  if (row.scenario === 'direct' || row.scenario === 'direct-rate') return COLORS.direct as string;
  if (row.scenario === 'nginx') return COLORS.nginx as string;
  if (row.scenario === 'express') return COLORS.express as string;
  if (row.scenario === 'gateway-redis') return COLORS.main as string;
  return COLORS.gateway as string;
}

function panel(rows: readonly ScenarioSummary[], x0: number, width: number, y0: number, rowH: number, heading: string, value: (r: ScenarioSummary) => number, format: (v: number) => string, missing = 'n/a'): string[] {
  const max = niceMax(Math.max(0, ...rows.map(value).filter(Number.isFinite)));
  const out: string[] = [`<text x="${x0}" y="${y0 - 14}" class="h">${escapeXml(heading)}</text>`];
  for (let tick = 0; tick <= 4; tick += 1) {
    const x = x0 + (width * tick) / 4;
    out.push(`<line x1="${x.toFixed(1)}" y1="${y0 - 4}" x2="${x.toFixed(1)}" y2="${y0 + rows.length * rowH}" class="grid"/>`);
    out.push(`<text x="${x.toFixed(1)}" y="${y0 + rows.length * rowH + 14}" class="tick" text-anchor="middle">${escapeXml(format((max * tick) / 4))}</text>`);
  }
  rows.forEach((row, i) => {
    const v = value(row);
    const w = Number.isFinite(v) && v > 0 ? (width * v) / max : 0;
    const y = y0 + i * rowH;
    out.push(`<rect x="${x0}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${colorFor(row)}"><title>${escapeXml(`${row.label}: ${format(v)}`)}</title></rect>`);
    out.push(`<text x="${(x0 + w + 4).toFixed(1)}" y="${y + rowH / 2 + 4}" class="v">${escapeXml(Number.isFinite(v) ? format(v) : missing)}</text>`);
  });
  return out;
}

/**
 * A two-panel horizontal bar chart (req/s and p99 latency per scenario) as a standalone SVG document: no fonts or
 * scripts to load, so it renders the same in a browser, an image viewer and on GitHub.
 */
export function renderBarChart(rows: readonly ScenarioSummary[], options: BarChartOptions): string {
  const rowH = 26;
  const labelW = 250;
  const panelW = 300;
  const gap = 90;
  const top = 78;
  const width = labelW + panelW * 2 + gap + 70;
  const height = top + rows.length * rowH + 62;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    '<style>.t{font-size:16px;font-weight:bold}.s{font-size:11px;fill:#555}.h{font-size:12px;font-weight:bold}.l{font-size:12px}.v{font-size:11px;fill:#333}.tick{font-size:10px;fill:#777}.grid{stroke:#e5e5e5;stroke-width:1}</style>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" class="t">${escapeXml(options.title)}</text>`,
  ];
  if (options.subtitle) parts.push(`<text x="12" y="40" class="s">${escapeXml(options.subtitle)}</text>`);
  rows.forEach((row, i) => {
    const label = row.rate === null ? row.label : `${row.label} (${row.rate}/s)`;
    parts.push(`<text x="${labelW - 8}" y="${top + i * rowH + rowH / 2 + 4}" class="l" text-anchor="end">${escapeXml(label)}</text>`);
  });
  const rps = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(0));
  parts.push(...panel(rows, labelW, panelW, top, rowH, 'requests per second (higher is better)', (r) => (r.rate === null ? r.rps : Number.NaN), rps, 'fixed rate: see latency'));
  parts.push(...panel(rows, labelW + panelW + gap, panelW, top, rowH, 'p99 latency, ms (lower is better)', (r) => r.latencyMs.p99, (v) => (v >= 10 ? v.toFixed(0) : v.toFixed(2))));
  const legend: Array<[string, string]> = [
    [COLORS.direct as string, 'direct (no proxy)'],
    [COLORS.nginx as string, 'nginx'],
    [COLORS.main as string, 'gateway main path (session on Redis)'],
    [COLORS.gateway as string, 'other gateway scenarios'],
    [COLORS.express as string, 'express-session stack'],
  ];
  let lx = 12;
  const ly = height - 16;
  for (const [color, text] of legend) {
    parts.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="${ly}" class="v">${escapeXml(text)}</text>`);
    lx += 24 + text.length * 6.2;
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
