import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuMicrosPerRequest, judgeSoak, linearFit, median, ratio, summarizeRuns } from '../../../../scripts/bench/stats.js';
import { run } from './fixtures.js';

test('median of odd, even and empty lists', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('ratio is null against a missing or zero baseline', () => {
  assert.equal(ratio(10, 4), 2.5);
  assert.equal(ratio(10, 0), null);
  assert.equal(ratio(10, null), null);
  assert.equal(ratio(undefined, 3), null);
});

test('linearFit recovers a line and is flat for a single x', () => {
  const fit = linearFit([0, 1, 2, 3].map((x) => ({ x, y: 5 + 2 * x })));
  assert.ok(Math.abs(fit.slope - 2) < 1e-12);
  assert.ok(Math.abs(fit.intercept - 5) < 1e-12);
  assert.equal(linearFit([{ x: 1, y: 3 }, { x: 1, y: 5 }]).slope, 0);
});

test('summarizeRuns takes medians and computes ratios round by round', () => {
  const runs = [
    run('direct', 0, 1000),
    run('gateway-redis', 0, 500),
    run('express', 0, 100),
    // Round 1 is twice as fast overall (drift): same-round ratios stay the same.
    run('direct', 1, 2000),
    run('gateway-redis', 1, 1000),
    run('express', 1, 200),
    run('direct', 2, 1500),
    run('gateway-redis', 2, 750, { redis: { commandsPerRequest: 1, byCommand: { evalsha: 1 } } }),
    run('express', 2, 150),
  ];
  const [direct, main, express] = summarizeRuns(runs, [
    { id: 'direct', label: 'direct' },
    { id: 'gateway-redis', label: 'main' },
    { id: 'express', label: 'express' },
    { id: 'nginx', label: 'nginx (not run)' },
  ]);
  assert.equal(direct?.rps, 1500);
  assert.equal(main?.rounds, 3);
  assert.equal(main?.ratios.direct, 0.5);
  assert.equal(main?.ratios.express, 5);
  assert.equal(main?.ratios.nginx, null);
  assert.equal(main?.redisCommandsPerRequest, 1);
  assert.deepEqual(main?.redisByCommand, { evalsha: 1 });
  assert.equal(express?.redisCommandsPerRequest, null);
});

test('CPU a request is the process CPU share over the request rate, median over rounds, null when not sampled', () => {
  const cpu = (cpuPercent: number) => ({ process: { rssMaxBytes: 1, rssEndBytes: 1, cpuPercent } });
  assert.equal(cpuMicrosPerRequest(run('gateway-redis', 0, 5000, cpu(100))), 200);
  assert.equal(cpuMicrosPerRequest(run('gateway-redis', 0, 5000, { process: null })), null);
  assert.equal(cpuMicrosPerRequest(run('gateway-redis', 0, 0, cpu(100))), null);
  const [row] = summarizeRuns(
    [run('express', 0, 1000, cpu(100)), run('express', 1, 2000, cpu(100)), run('express', 2, 1000, cpu(50))],
    [{ id: 'express', label: 'express' }],
  );
  assert.equal(row?.cpuMicrosPerRequest, 500);
});

test('fixed-rate runs get no throughput ratios', () => {
  const [row] = summarizeRuns([run('direct', 0, 1000), run('gateway-redis-rate', 0, 1000, { rate: 1000 })], [{ id: 'gateway-redis-rate', label: 'rate' }]);
  assert.deepEqual(row?.ratios, { direct: null, nginx: null, express: null });
});

test('judgeSoak: flat RSS after warm-up is bounded, steady growth is not', () => {
  const mib = 1024 * 1024;
  const flat = Array.from({ length: 60 }, (_, i) => ({ tS: i * 10, rssBytes: (i < 5 ? 80 + i * 4 : 100) * mib }));
  assert.equal(judgeSoak(flat).bounded, true);
  const leak = Array.from({ length: 60 }, (_, i) => ({ tS: i * 10, rssBytes: (100 + i * 2) * mib }));
  const judged = judgeSoak(leak);
  assert.equal(judged.bounded, false);
  assert.match(judged.verdict, /GROWING/);
  assert.ok(Math.abs(judged.secondHalfSlopeBytesPerMin - 12 * mib) < 1);
  // A GC sawtooth that ends on a rising edge is not a leak.
  const sawtooth = [195, 170, 142, 165, 180, 147, 141, 142, 144, 148, 166, 149, 152, 164, 176, 185].map((m, i) => ({ tS: i * 2, rssBytes: m * mib }));
  assert.equal(judgeSoak(sawtooth).bounded, true);
  assert.match(judgeSoak(flat.slice(0, 5)).verdict, /too few/);
});
