import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCount, parseSize, parseTimeMs } from '../../../gateway/config/units.js';

test('sizes: bytes, k, m, g, case-insensitive; 0 allowed', () => {
  assert.equal(parseSize('0'), 0);
  assert.equal(parseSize('512'), 512);
  assert.equal(parseSize('8k'), 8192);
  assert.equal(parseSize('8K'), 8192);
  assert.equal(parseSize('1m'), 1048576);
  assert.equal(parseSize('2g'), 2 * 1024 ** 3);
  for (const bad of ['', 'k', '1.5m', '-1', '1 m', '1kb', '8t']) assert.equal(parseSize(bad), null, bad);
});

test('times: units, combinations, bare number = seconds', () => {
  assert.equal(parseTimeMs('500ms'), 500);
  assert.equal(parseTimeMs('30'), 30_000);
  assert.equal(parseTimeMs('30s'), 30_000);
  assert.equal(parseTimeMs('30m'), 1_800_000);
  assert.equal(parseTimeMs('24h'), 86_400_000);
  assert.equal(parseTimeMs('1h30m'), 5_400_000);
  assert.equal(parseTimeMs('1h 30m'), 5_400_000);
  assert.equal(parseTimeMs('1m30'), 90_000);
  assert.equal(parseTimeMs('1s500ms'), 1_500);
  assert.equal(parseTimeMs('2d'), 172_800_000);
  assert.equal(parseTimeMs('1w'), 604_800_000);
  assert.equal(parseTimeMs('1M'), 30 * 86_400_000);
  assert.equal(parseTimeMs('1y'), 365 * 86_400_000);
  assert.equal(parseTimeMs('0'), 0);
});

test('times nginx rejects are null', () => {
  for (const bad of ['', 'm', '30x', '1.5s', '-1s', '30m1h', '1m1m', '30 1m', '1h30ms5']) assert.equal(parseTimeMs(bad), null, bad);
});

test('counts are non-negative integers', () => {
  assert.equal(parseCount('0'), 0);
  assert.equal(parseCount('32'), 32);
  for (const bad of ['', '-1', '1.0', '1e3', 'x']) assert.equal(parseCount(bad), null, bad);
});
