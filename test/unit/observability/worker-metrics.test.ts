import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayMetrics } from '../../../gateway/observability/gateway-metrics.js';
import { aggregateSnapshots, metricsSnapshot } from '../../../gateway/observability/worker-metrics.js';
import { MemorySessionStore } from '../../../gateway/session/memory-store.js';

describe('worker metrics summed by a master', () => {
  it('adds counters and histograms, keeps one copy of what every worker reads alike', async () => {
    const workers = [new GatewayMetrics({ version: '1.2.3' }), new GatewayMetrics({ version: '1.2.3' })];
    workers[0]!.requests.inc({ status_class: '2xx' }, 3);
    workers[1]!.requests.inc({ status_class: '2xx' }, 4);
    workers[0]!.requestDuration.observe({ upstream: 'app', status_class: '2xx' }, 0.002);
    workers[1]!.requestDuration.observe({ upstream: 'app', status_class: '2xx' }, 0.3);
    for (const w of workers) w.watch({ generation: () => 2 });
    const { text } = await aggregateSnapshots(await Promise.all(workers.map((w) => metricsSnapshot(w))));
    assert.match(text, /^session_gateway_requests_total\{status_class="2xx"\} 7$/m);
    assert.match(text, /^session_gateway_request_duration_seconds_count\{upstream="app",status_class="2xx"\} 2$/m);
    assert.match(text, /^session_gateway_request_duration_seconds_bucket\{le="0\.0025",upstream="app",status_class="2xx"\} 1$/m);
    assert.match(text, /^session_gateway_build_info\{version="1\.2\.3",nodejs="[^"]+"\} 1$/m);
    assert.match(text, /^session_gateway_config_generation 2$/m);
  });

  it('two registries in one process never share counts (no module-global registry)', async () => {
    const a = new GatewayMetrics();
    const b = new GatewayMetrics();
    a.retries.inc();
    assert.match(await a.metrics(), /^session_gateway_retries_total 1$/m);
    assert.match(await b.metrics(), /^session_gateway_retries_total 0$/m);
  });

  it('the dashboard\'s sample leaves out the store-wide numbers, so it never asks the store for its stats', async () => {
    const metrics = new GatewayMetrics();
    const store = new MemorySessionStore();
    let statsCalls = 0;
    const counting = Object.assign(Object.create(store) as MemorySessionStore, {
      stats: (now: number) => {
        statsCalls++;
        return store.stats(now);
      },
    });
    metrics.watch({ store: () => ({ store: counting, id: 'memory' }) });
    const sample = await metricsSnapshot(metrics, { storeWide: false });
    assert.equal(statsCalls, 0);
    assert.ok(sample.some((m) => m.name === 'session_gateway_requests_total'));
    assert.ok(!sample.some((m) => m.name.startsWith('session_gateway_cluster_')));
    const scrape = await metricsSnapshot(metrics);
    assert.equal(statsCalls, 1, 'a scrape reads the store once for all its store-wide metrics');
    assert.ok(scrape.some((m) => m.name === 'session_gateway_cluster_sessions'));
  });
});
