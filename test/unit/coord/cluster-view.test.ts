import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterView } from '../../../gateway/coord/cluster-view.js';
import type { BackendReport, Heartbeat } from '../../../gateway/coord/coord-store.js';

const report = (inFlight: number, longLived = 0): BackendReport => ({ inFlight, longLived, health: 'HEALTHY', checkSeq: 5, okStreak: 5, rise: 2 });
const hb = (id: string, epoch: number, r: BackendReport): Heartbeat => ({ gatewayId: id, epoch, at: 0, backends: { b1: r } });

describe('clusterView: DRAINED over every live gateway', () => {
  const draining = { state: 'DRAINING' as const, epoch: 7, since: 0, by: 'test' };

  it('is not drained until every gateway applied the drain epoch', () => {
    const v = clusterView('b1', draining, [hb('g1', 7, report(0)), hb('g2', 6, report(0))]);
    assert.equal(v.gatewaysApplied, 1);
    assert.equal(v.drained, false);
  });

  it('sums in-flight and long-lived counts over the gateways', () => {
    const v = clusterView('b1', draining, [hb('g1', 7, report(0, 1)), hb('g2', 8, report(2))]);
    assert.equal(v.inFlight, 2);
    assert.equal(v.longLived, 1);
    assert.equal(v.drained, false);
    assert.equal(clusterView('b1', draining, [hb('g1', 7, report(0)), hb('g2', 8, report(0))]).drained, true);
  });

  it('a READY backend is never drained', () => {
    assert.equal(clusterView('b1', { ...draining, state: 'READY' }, [hb('g1', 9, report(0))]).drained, false);
  });
});
