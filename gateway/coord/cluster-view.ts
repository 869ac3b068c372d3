import type { HealthState } from '../pool/backend.js';
import type { BackendAdminRecord, Heartbeat } from './coord-store.js';

/** One backend as every live gateway sees it: what a drain and a rollout wait on. */
export interface ClusterBackendView {
  /** Live gateways (heartbeats). */
  gateways: number;
  /** Gateways that have applied the backend's current admin state (epoch ≥ the state's epoch). */
  gatewaysApplied: number;
  inFlight: number;
  longLived: number;
  /** Every live gateway sees it HEALTHY. */
  healthy: boolean;
  perGateway: Array<{ gatewayId: string; health: HealthState; checkSeq: number; okStreak: number; rise: number; inFlight: number; longLived: number; epoch: number }>;
  /** Not READY, every gateway applied that, and nothing is in flight or open anywhere. */
  drained: boolean;
}

export function clusterView(name: string, record: BackendAdminRecord | undefined, heartbeats: Heartbeat[]): ClusterBackendView {
  const stateEpoch = record?.epoch ?? 0;
  const view: ClusterBackendView = { gateways: heartbeats.length, gatewaysApplied: 0, inFlight: 0, longLived: 0, healthy: heartbeats.length > 0, perGateway: [], drained: false };
  for (const hb of heartbeats) {
    const r = hb.backends[name];
    if (hb.epoch >= stateEpoch) view.gatewaysApplied++;
    if (!r) continue;
    view.inFlight += r.inFlight;
    view.longLived += r.longLived;
    if (r.health !== 'HEALTHY') view.healthy = false;
    view.perGateway.push({ gatewayId: hb.gatewayId, health: r.health, checkSeq: r.checkSeq, okStreak: r.okStreak, rise: r.rise, inFlight: r.inFlight, longLived: r.longLived, epoch: hb.epoch });
  }
  const notReady = record !== undefined && record.state !== 'READY';
  view.drained = notReady && view.gatewaysApplied === view.gateways && view.inFlight === 0 && view.longLived === 0;
  return view;
}
