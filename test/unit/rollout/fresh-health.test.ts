import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BackendView } from '../../../gateway/admin/backend-views.js';
import { freshlyHealthy } from '../../../gateway/rollout/orchestrator.js';

function view(perGateway: Array<{ gatewayId: string; health: 'HEALTHY' | 'UNHEALTHY'; checkSeq: number; okStreak: number }>): BackendView {
  return { cluster: { perGateway: perGateway.map((g) => ({ ...g, rise: 2, inFlight: 0, longLived: 0, epoch: 1 })) } } as unknown as BackendView;
}

describe('rollout: a restarted backend is ready after `rise` fresh successes on every gateway', () => {
  const baseline = new Map([['g1', 10], ['g2', 4]]);

  it('needs rise successes completed after the baseline, everywhere', () => {
    assert.equal(freshlyHealthy(view([{ gatewayId: 'g1', health: 'HEALTHY', checkSeq: 12, okStreak: 2 }, { gatewayId: 'g2', health: 'HEALTHY', checkSeq: 6, okStreak: 9 }]), baseline), true);
  });

  it('a success streak that began before the restart does not count', () => {
    assert.equal(freshlyHealthy(view([{ gatewayId: 'g1', health: 'HEALTHY', checkSeq: 11, okStreak: 30 }]), baseline), false);
  });

  it('one gateway still unhealthy is enough to wait', () => {
    assert.equal(freshlyHealthy(view([{ gatewayId: 'g1', health: 'HEALTHY', checkSeq: 20, okStreak: 5 }, { gatewayId: 'g2', health: 'UNHEALTHY', checkSeq: 20, okStreak: 1 }]), baseline), false);
    assert.equal(freshlyHealthy(view([]), baseline), false);
  });
});
