import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { HotCounter, HotHistogram } from '../../../gateway/observability/hot-metrics.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const SAMPLES: Array<[string, string, number]> = [['app', '2xx', 0.0004], ['app', '2xx', 0.05], ['app', '5xx', 3], ['api', '2xx', 0.01], ['app', '2xx', 0.001]];

describe('hot metrics (the request path\'s counters and histograms)', () => {
  it('expose exactly what prom-client\'s Counter and Histogram expose for the same updates', async () => {
    const stock = new Registry();
    const hot = new Registry();
    const c1 = new Counter({ name: 'x_requests_total', help: 'h', labelNames: ['upstream', 'status_class'], registers: [stock] });
    const h1 = new Histogram({ name: 'x_duration_seconds', help: 'h', labelNames: ['upstream', 'status_class'], buckets: BUCKETS, registers: [stock] });
    const b1 = new Counter({ name: 'x_bytes_total', help: 'h', registers: [stock] });
    const c2 = new HotCounter({ name: 'x_requests_total', help: 'h', labelNames: ['upstream', 'status_class'], registers: [hot] });
    const h2 = new HotHistogram({ name: 'x_duration_seconds', help: 'h', labelNames: ['upstream', 'status_class'], buckets: BUCKETS, registers: [hot] });
    const b2 = new HotCounter({ name: 'x_bytes_total', help: 'h', registers: [hot] });
    assert.equal(await hot.metrics(), await stock.metrics(), 'before any update: the unlabelled counter is 0 in both');
    for (const [upstream, statusClass, seconds] of SAMPLES) {
      c1.inc({ upstream, status_class: statusClass });
      h1.observe({ upstream, status_class: statusClass }, seconds);
      b1.inc(10);
    }
    SAMPLES.forEach(([upstream, statusClass, seconds], i) => {
      if (i % 2 === 0) c2.add([upstream, statusClass]);
      else c2.inc({ upstream, status_class: statusClass });
      if (i % 2 === 0) h2.record([upstream, statusClass], seconds);
      else h2.observe({ upstream, status_class: statusClass }, seconds);
      b2.inc(10);
    });
    assert.equal(await hot.metrics(), await stock.metrics());
    // What the workers' aggregation and the dashboard read: the same values, labels and names (no exemplars here).
    const withoutExemplars = (json: unknown) => JSON.parse(JSON.stringify(json, (k, v: unknown) => (k === 'exemplar' ? undefined : v)));
    assert.deepEqual(withoutExemplars(await hot.getMetricsAsJSON()), withoutExemplars(await stock.getMetricsAsJSON()));
  });

  it('reset clears the label sets and keeps an unlabelled metric at 0', async () => {
    const registry = new Registry();
    const bytes = new HotCounter({ name: 'y_bytes_total', help: 'h', registers: [registry] });
    const byCode = new HotCounter({ name: 'y_responses_total', help: 'h', labelNames: ['code'], registers: [registry] });
    bytes.inc(5);
    byCode.add(['200']);
    registry.resetMetrics();
    assert.match(await registry.metrics(), /^y_bytes_total 0$/m);
    assert.doesNotMatch(await registry.metrics(), /y_responses_total\{/);
  });

  it('counts a label set of two or more values from zero again after a reset', async () => {
    const registry = new Registry();
    const byBackend = new HotCounter({ name: 'z_responses_total', help: 'h', labelNames: ['upstream', 'backend', 'code'], registers: [registry] });
    byBackend.add(['app', 'b1', '200']);
    byBackend.inc({ upstream: 'app', backend: 'b1', code: '200' });
    assert.match(await registry.metrics(), /^z_responses_total\{upstream="app",backend="b1",code="200"\} 2$/m);
    registry.resetMetrics();
    byBackend.add(['app', 'b1', '200']);
    assert.match(await registry.metrics(), /^z_responses_total\{upstream="app",backend="b1",code="200"\} 1$/m);
  });
});
