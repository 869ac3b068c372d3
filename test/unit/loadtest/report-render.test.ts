import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderLoadtestMarkdown } from '../../../gateway/loadtest/report-markdown.js';
import { renderTimeline } from '../../../gateway/loadtest/report-svg.js';
import type { LoadtestReport } from '../../../gateway/loadtest/report-types.js';

const latency = { p50: 1, p99: 4, p999: 5, mean: 1.5, max: 6 };
const second = (t: number, status: number, broken: number) => ({ t, requests: 100, ok: 100 - status, failed: { status, socket: 0, timeout: 0 }, latencyMs: latency, broken });

const report: LoadtestReport = {
  version: 1, date: '2026-01-01T00:00:00.000Z', command: 'session-gateway loadtest --target http://x', pass: false,
  verdict: ['3 request(s) failed: 3 unexpected status, 0 socket error(s), 0 timeout(s)'],
  settings: { targets: ['http://x'], admin: 'http://a', sessions: 2, login: 'mint', durationS: 3, connections: 2, rate: null, amount: null, timeoutS: 10, thinkMs: 0, scenario: 'default', requests: [{ name: 'a|b', method: 'GET', path: '/', weight: 1, expect: null }], rollingRestart: null },
  totals: { durationS: 3, requests: 300, ok: 297, failed: { status: 3, socket: 0, timeout: 0 }, rps: 100, latencyMs: latency, statuses: { 200: 297, 302: 3 }, errorCodes: {} },
  perRequest: { 'a|b': { count: 300, ok: 297, statuses: { 200: 297, 302: 3 }, failed: { status: 3, socket: 0, timeout: 0 } } },
  sessions: { total: 2, broken: 1, byReason: { 'cookie-cleared': 1 }, checks: 4, checkErrors: 0, unverifiable: 0, examples: [{ principal: 'u<1>', reason: 'cookie-cleared', detail: 'x', atS: 1 }], cleanup: { removed: 1, gone: 1 } },
  rollout: { ok: true, error: null, backends: [], steps: [], bands: [{ backend: '10.0.0.1:80', kind: 'draining', fromS: 0.5, toS: 1 }, { backend: '10.0.0.1:80', kind: 'restarting', fromS: 1, toS: 2.5 }] },
  timeline: [second(0, 0, 0), second(1, 3, 1), second(2, 0, 0)],
  samples: ['GET / via x: 302 → /login'],
};

test('the timeline names each band and escapes what it shows', () => {
  const svg = renderTimeline(report);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.ok(svg.includes('>drain 10.0.0.1:80<') && svg.includes('>restart 10.0.0.1:80<'));
  assert.ok(svg.includes('load test: FAIL'));
  assert.equal((svg.match(/<rect [^>]*fill="#000000"/g) ?? []).length, 1, 'one broken-session bar, in second 1');
});

test('the Markdown says why it failed, escapes table cells and links the picture', () => {
  const md = renderLoadtestMarkdown(report, 'timeline.svg');
  assert.match(md, /^# Load test: FAIL\n/);
  assert.ok(md.includes('- 3 request(s) failed'));
  assert.ok(md.includes('![timeline](timeline.svg)'));
  assert.ok(md.includes('a\\|b (`GET /`)'), 'a | in a name does not split the table');
  assert.ok(md.includes('| 1 | 100 | 3 (3/0/0) |'), 'the second with failures is listed');
  assert.ok(md.includes('restarting 10.0.0.1:80'), 'the rollout column names the band');
});
