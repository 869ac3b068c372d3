import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summarizeRuns } from '../../../../scripts/bench/stats.js';
import { evaluateTargets } from '../../../../scripts/bench/targets.js';
import { SCENARIOS } from '../../../../scripts/bench/scenarios.js';
import type { RunResult } from '../../../../scripts/bench/report-types.js';
import { run } from './fixtures.js';

const order = SCENARIOS.map((s) => ({ id: s.id, label: s.label }));

function evaluate(runs: RunResult[], roundTrips: Record<string, number> = {}) {
  const summary = summarizeRuns(runs, order);
  for (const row of summary) {
    const rt = roundTrips[row.scenario];
    if (rt !== undefined) {
      row.redisRoundTripsPerRequest = rt;
      row.redisRoundTripsByCommand = { evalsha: rt };
    }
  }
  const targets = evaluateTargets(runs, summary, null);
  return Object.fromEntries(targets.map((t) => [t.id, t]));
}

test('every target is evaluated as met, missed or not measured', () => {
  const lat = (p99: number) => ({ p50: 1, p99, p999: p99, mean: 1, max: p99 });
  const t = evaluate([
    run('gateway-redis', 0, 5000, { redis: { commandsPerRequest: 2.01, byCommand: { evalsha: 1.01, hgetall: 1 } } }),
    run('express', 0, 1000),
    run('gateway-embedded', 0, 5500),
    run('gateway-pass', 0, 6000),
    run('nginx', 0, 20_000),
    run('gateway-redis-write', 0, 4000, { redis: { commandsPerRequest: 3, byCommand: { evalsha: 3 } } }),
    run('direct-rate', 0, 1000, { rate: 1000, latencyMs: lat(0.5) }),
    run('gateway-redis-rate', 0, 1000, { rate: 1000, latencyMs: lat(1.9) }),
  ], { 'gateway-redis': 1.01, 'gateway-redis-write': 3 });
  assert.equal(t['main-vs-express']?.status, 'met');
  assert.equal(t['main-vs-embedded']?.status, 'met');
  assert.equal(t['main-vs-embedded']?.measured, '0.91×');
  assert.equal(t['main-vs-pass-through']?.status, 'missed');
  assert.equal(t['main-vs-nginx']?.status, 'missed');
  assert.equal(t['redis-read']?.status, 'met');
  assert.equal(t['redis-write']?.status, 'missed');
  assert.match(t['redis-write']?.note ?? '', /evalsha 3\.00/);
  assert.equal(t['p99-added']?.status, 'met');
  assert.match(t['p99-added']?.measured ?? '', /^1\.400 ms/);
  assert.equal(t['soak-bounded']?.status, 'not-measured');
});

test('a ratio target notes every round and the same comparison in CPU time a request', () => {
  const cpu = (cpuPercent: number) => ({ process: { rssMaxBytes: 1, rssEndBytes: 1, cpuPercent } });
  const t = evaluate([
    // Round 0: the machine was slow for express (3×); CPU a request says 5× both times.
    run('gateway-redis', 0, 3000, cpu(60)),
    run('express', 0, 1000, cpu(100)),
    run('gateway-redis', 1, 5000, cpu(100)),
    run('express', 1, 1000, cpu(100)),
    run('express', 2, 1000, cpu(100)),
  ]);
  assert.equal(t['main-vs-express']?.measured, '4.00×');
  assert.equal(t['main-vs-express']?.status, 'met');
  assert.equal(t['main-vs-express']?.note, 'rounds 3.00 / 5.00; CPU a request (median over these rounds) express 1000 µs ÷ gateway-redis 200 µs = 5.00×');
  const unsampled = evaluate([run('gateway-redis', 0, 3000, { process: null }), run('express', 0, 1000)]);
  assert.equal(unsampled['main-vs-express']?.note, 'rounds 3.00');
});

test('targets without their scenarios are not measured, never failed', () => {
  const t = evaluate([run('gateway-redis', 0, 5000)]);
  assert.equal(t['main-vs-express']?.status, 'not-measured');
  assert.equal(t['main-vs-embedded']?.status, 'not-measured');
  assert.equal(t['redis-read']?.status, 'not-measured');
  assert.equal(t['p99-added']?.status, 'not-measured');
});
