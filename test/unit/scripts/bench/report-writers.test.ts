import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatBytes, renderMarkdown, summaryTable } from '../../../../scripts/bench/report-markdown.js';
import { escapeXml, niceMax, renderBarChart } from '../../../../scripts/bench/report-svg.js';
import { writeReport } from '../../../../scripts/bench/report-writer.js';
import { summarizeRuns } from '../../../../scripts/bench/stats.js';
import { emptyReport, run } from './fixtures.js';

const summary = summarizeRuns(
  [run('direct', 0, 20_000), run('gateway-redis', 0, 8000), run('direct-rate', 0, 1000, { rate: 1000 })],
  [
    { id: 'direct', label: 'direct <backend>' },
    { id: 'gateway-redis', label: 'main | path' },
    { id: 'direct-rate', label: 'direct at fixed rate' },
  ],
);

test('formatBytes picks a unit', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(5 * 1024 * 1024), '5.0 MiB');
  assert.equal(formatBytes(null), 'n/a');
});

test('the summary table has a row per scenario and escapes pipes', () => {
  const table = summaryTable(summary);
  const lines = table.split('\n');
  assert.equal(lines.length, 2 + 3);
  assert.match(table, /main \\\| path/);
  assert.match(table, /direct at fixed rate \(1000 req\/s\)/);
  assert.match(lines[3] ?? '', /8,000 \| .* 0\.40×/);
  // CPU 95 % at 8,000 req/s: 119 µs of CPU a request.
  assert.match(lines[0] ?? '', /\| CPU \| CPU µs\/req \|/);
  assert.match(lines[3] ?? '', /\| 95 % \| 119 \|/);
});

test('the Markdown report names the machine, the command, the chart and how to read it', () => {
  const md = renderMarkdown(emptyReport({ summary, notes: ['nginx: skipped'] }), 'latest.svg');
  assert.match(md, /Test CPU, 2 cores/);
  assert.match(md, /`node dist\/scripts\/bench\.js --quick`/);
  assert.match(md, /!\[requests per second by scenario\]\(latest\.svg\)/);
  assert.match(md, /## How to read this report/);
  assert.match(md, /- nginx: skipped/);
  assert.match(md, /Soak: not run/);
});

test('niceMax rounds up to a readable axis end', () => {
  assert.equal(niceMax(21_300), 25_000);
  assert.equal(niceMax(9_000), 10_000);
  assert.equal(niceMax(0.7), 0.8);
  assert.equal(niceMax(0), 1);
});

test('the SVG chart is one standalone document with escaped labels and a bar per row', () => {
  const svg = renderBarChart(summary, { title: 'a & b', subtitle: 'x' });
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.match(svg, /direct &lt;backend&gt;/);
  assert.match(svg, />a &amp; b</);
  assert.doesNotMatch(svg, /<backend>/);
  // Two panels: a bar per row in each.
  assert.equal((svg.match(/<rect x="\d+" y="[\d.]+" width="[\d.]+" height="20"/g) ?? []).length, 6);
  assert.equal(escapeXml(`"'`), '&quot;&apos;');
});

test('writeReport replaces latest.json / latest.md / latest.svg and leaves nothing else', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-report-'));
  try {
    writeReport(emptyReport({ summary }), dir);
    const files = writeReport(emptyReport({ summary, date: '2026-02-02T00:00:00.000Z' }), dir);
    assert.deepEqual(readdirSync(dir).sort(), ['latest.json', 'latest.md', 'latest.svg']);
    assert.equal((JSON.parse(readFileSync(files.json, 'utf8')) as { date: string }).date, '2026-02-02T00:00:00.000Z');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
