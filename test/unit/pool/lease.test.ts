import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { defaults } from '../../../gateway/config/settings.js';
import { ownCounts } from '../../../gateway/coord/coord-sync.js';
import { clusterView } from '../../../gateway/coord/cluster-view.js';
import { createLogger } from '../../../gateway/log.js';
import { GatewayMetrics } from '../../../gateway/observability/gateway-metrics.js';
import { applyAdminState } from '../../../gateway/pool/drain.js';
import type { Upstream } from '../../../gateway/pool/upstream-pool.js';
import { BackendAttempts } from '../../../gateway/proxy/backend-attempts.js';
import { testUpstream } from './test-upstream.js';

const log = createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, done) => done() }) });

const upstream = (): Upstream => testUpstream([{ port: 1 }, { port: 2 }]);

/** Is the backend DRAINED as the rollout sees it (this gateway's heartbeat, the drain epoch applied)? */
function drained(backend: Upstream['backends'][number]): boolean {
  const counts = ownCounts(backend);
  const report = { ...counts, health: 'HEALTHY' as const, checkSeq: 1, okStreak: 1, rise: 1 };
  return clusterView(backend.name, { state: 'DRAINING', epoch: 1, since: 0, by: 'test' }, [{ gatewayId: 'g', epoch: 1, at: 0, backends: { [backend.name]: report } }]).drained;
}

describe('Lease: the one owner of a backend in-flight and long-lived counts (no sockets are opened)', () => {
  const made: Upstream[] = [];
  after(async () => Promise.all(made.flatMap((u) => u.backends.map((b) => b.close()))));

  it('counts in flight until released; a second release changes nothing', () => {
    const u = upstream();
    made.push(u);
    const backend = u.backends[0]!;
    const a = backend.lease();
    const b = backend.lease();
    assert.equal(backend.inFlight, 2);
    a.release();
    a.release();
    a.release();
    assert.equal(backend.inFlight, 1, 'released once, however often it is called');
    b.release();
    assert.equal(backend.inFlight, 0);
  });

  it('moves a promoted lease to the long-lived streams, which a drain closes; its release ends it there', () => {
    const u = upstream();
    made.push(u);
    const backend = u.backends[0]!;
    const lease = backend.lease();
    const closed: number[] = [];
    lease.promote({ kind: 'websocket', close: (code) => closed.push(code) });
    assert.deepEqual(ownCounts(backend), { inFlight: 0, longLived: 1 });
    applyAdminState(backend, 'DRAINING', Date.now(), { log, sseGraceMs: 5_000 });
    assert.deepEqual(closed, [1012]);
    assert.equal(drained(backend), false, 'not drained while the tunnel is open');
    lease.release();
    lease.release();
    assert.deepEqual(ownCounts(backend), { inFlight: 0, longLived: 0 });
    assert.equal(drained(backend), true);
  });

  it('an exception while a try holds its lease releases it: the drain finishes at once instead of at its timeout', async () => {
    const u = upstream();
    made.push(u);
    const attempts = new BackendAttempts(u, { ...defaults.proxy, upstream: 'app', uriPrefix: null, setHeaders: [], redirects: [], hideHeaders: [] }, log, new GatewayMetrics());
    const seen: number[] = [];
    await assert.rejects(
      attempts.run({
        method: 'GET',
        requestId: 'r1',
        replayable: true,
        start: (backend) => {
          seen.push(backend.inFlight);
          throw new Error('a bug on the request path');
        },
        abandoned: () => false,
      }),
      /a bug on the request path/,
    );
    assert.deepEqual(seen, [1], 'the lease was held when it threw');
    const backend = u.backends[0]!;
    applyAdminState(backend, 'DRAINING', Date.now(), { log, sseGraceMs: 5_000 });
    assert.equal(backend.inFlight, 0);
    assert.equal(drained(backend), true);
  });
});
