import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyHistogram } from '../../../gateway/loadtest/latency-histogram.js';

test('an empty histogram summarises to zeros', () => {
  assert.deepEqual(new LatencyHistogram().summary(), { p50: 0, p99: 0, p999: 0, mean: 0, max: 0 });
});

test('quantiles are within 1 % of the exact value and never below it', () => {
  const h = new LatencyHistogram();
  const values: number[] = [];
  for (let i = 1; i <= 10_000; i += 1) {
    const ms = i * 0.013; // 13 µs .. 130 ms: sub-millisecond resolution matters
    values.push(ms);
    h.record(ms);
  }
  for (const q of [0.5, 0.99, 0.999]) {
    const exact = values[Math.ceil(q * values.length) - 1] as number;
    const got = h.quantile(q);
    assert.ok(got >= exact - 1e-9, `q${q}: ${got} < ${exact}`);
    assert.ok(got <= exact * 1.0101, `q${q}: ${got} more than 1 % above ${exact}`);
  }
  assert.equal(h.count, 10_000);
  assert.equal(h.summary().max, 130);
});

test('a quantile is capped at the largest value recorded', () => {
  const h = new LatencyHistogram();
  h.record(0.2503);
  assert.equal(h.quantile(0.99), 0.2503);
});

test('negative and non-finite values are ignored', () => {
  const h = new LatencyHistogram();
  h.record(-1);
  h.record(Number.NaN);
  h.record(Number.POSITIVE_INFINITY);
  assert.equal(h.count, 0);
});
