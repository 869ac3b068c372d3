import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { DashboardHistory, quantileBetween, REQUEST_DURATION, REQUESTS, STORE_DURATION, type MetricJson } from '../../../gateway/admin/dashboard-history.js';
import type { SessionStats } from '../../../gateway/session/store.js';

const counters = (created: number, ended: number): SessionStats['counters'] => ({
  created, logins: 0, duplicateLogins: 0, loginRejected: 0, destroyedLogout: ended, destroyedKill: 0, destroyedEvicted: 0, expiredIdle: 0, expiredAbsolute: 0, expiredLapsed: 0,
});

describe('dashboard history', () => {
  it('interpolates a quantile inside its bucket, as histogram_quantile() does', () => {
    const before = new Map([[0.1, 0], [0.5, 0], [Infinity, 0]]);
    const after = new Map([[0.1, 50], [0.5, 100], [Infinity, 100]]);
    assert.equal(quantileBetween(before, after, 0.5), 0.1);
    assert.ok(Math.abs(quantileBetween(before, after, 0.75)! - 0.3) < 1e-9);
    assert.equal(quantileBetween(before, before, 0.5), null, 'nothing observed: no value, a gap in the chart');
    assert.equal(quantileBetween(new Map([[1, 0], [Infinity, 0]]), new Map([[1, 0], [Infinity, 5]]), 0.99), 1, '+Inf answers the largest finite bound');
  });

  it('turns cumulative metrics and store counters into per-interval rates and quantiles', async () => {
    const registry = new Registry();
    const requests = new Counter({ name: REQUESTS, help: 'r', labelNames: ['status_class'], registers: [registry] });
    const duration = new Histogram({ name: REQUEST_DURATION, help: 'd', labelNames: ['upstream', 'status_class'], buckets: [0.01, 0.1, 1], registers: [registry] });
    new Histogram({ name: STORE_DURATION, help: 's', labelNames: ['store', 'operation'], buckets: [0.001, 0.01], registers: [registry] });
    let now = 1_000_000;
    let stats: SessionStats = { active: 3, pendingExpiry: 0, counters: counters(10, 2), sizeBuckets: [] };
    const history = new DashboardHistory({
      metrics: async () => (await registry.getMetricsAsJSON()) as unknown as MetricJson[],
      sessionStats: async () => stats,
      clock: () => now,
      storeEveryMs: 5_000,
    });
    await history.sample();
    assert.deepEqual(history.points(), [], 'the first sample is the baseline');
    requests.inc({ status_class: '2xx' }, 40);
    requests.inc({ status_class: '4xx' }, 5);
    requests.inc({ status_class: '5xx' }, 5);
    for (let i = 0; i < 50; i++) duration.observe({ upstream: 'app', status_class: '2xx' }, i < 45 ? 0.005 : 0.5);
    stats = { active: 8, pendingExpiry: 0, counters: counters(20, 7), sizeBuckets: [] };
    now += 5_000;
    await history.sample();
    const [p] = history.points();
    assert.equal(p!.t, now);
    assert.equal(p!.requestsPerSecond, 10);
    assert.equal(p!.clientErrorsPerSecond, 1);
    assert.equal(p!.serverErrorsPerSecond, 1);
    assert.ok(p!.p50Ms! > 0 && p!.p50Ms! <= 10, `p50 ${p!.p50Ms}`);
    assert.ok(p!.p99Ms! > 100 && p!.p99Ms! <= 1000, `p99 ${p!.p99Ms}`);
    assert.equal(p!.activeSessions, 8);
    assert.equal(p!.createdPerSecond, 2);
    assert.equal(p!.endedPerSecond, 1);
    assert.equal(p!.storeP50Ms, null, 'no store operation in the interval');
  });

  it('keeps only the last `keep` points, and a store that fails leaves a gap, not a stop', async () => {
    let now = 0;
    let failing = false;
    const history = new DashboardHistory({
      metrics: async () => [],
      sessionStats: async () => {
        if (failing) throw new Error('store down');
        return { active: 1, pendingExpiry: 0, counters: counters(0, 0), sizeBuckets: [] };
      },
      clock: () => now,
      keep: 3,
      storeEveryMs: 0,
    });
    for (let i = 0; i < 6; i++) {
      failing = i === 5;
      now += 5_000;
      await history.sample();
    }
    const points = history.points();
    assert.equal(points.length, 3);
    assert.equal(points.at(-1)!.activeSessions, null);
    assert.equal(points.at(-2)!.activeSessions, 1);
  });

  it('reads the store every 30 s, not with every point: an idle gateway on Redis pays for no 256-script stats each 5 s', async () => {
    let now = 0;
    let reads = 0;
    let created = 0;
    const history = new DashboardHistory({
      metrics: async () => [],
      sessionStats: async () => {
        reads++;
        return { active: 2, pendingExpiry: 0, counters: counters(created, 0), sizeBuckets: [] };
      },
      clock: () => now,
    });
    for (let i = 0; i <= 12; i++) {
      await history.sample();
      now += 5_000;
      created += 30;
    }
    assert.equal(reads, 3, 'at 0, 30 and 60 s');
    const points = history.points();
    assert.equal(points.length, 12);
    const withSessions = points.filter((p) => p.activeSessions !== null);
    assert.deepEqual(withSessions.map((p) => p.t), [30_000, 60_000]);
    assert.deepEqual(withSessions.map((p) => p.createdPerSecond), [6, 6], '180 sessions over each 30 s');
  });
});
