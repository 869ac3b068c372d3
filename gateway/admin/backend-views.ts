import { clusterView, type ClusterBackendView } from '../coord/cluster-view.js';
import type { Heartbeat } from '../coord/coord-store.js';
import type { ControlPlane } from '../process/control-plane.js';
import type { AdminState, HealthState } from '../pool/backend.js';

/** A backend NAME as GET /api/backends shows it (the same NAME in two upstreams is one entry). */
export interface BackendView {
  name: string;
  host: string;
  port: number;
  upstreams: string[];
  weight: number;
  backup: boolean;
  down: boolean;
  state: AdminState;
  stateEpoch: number;
  stateSince: number | null;
  stateBy: string | null;
  /** This gateway's view. */
  health: HealthState;
  serving: boolean;
  ejected: boolean;
  slowStart: boolean;
  inFlight: number;
  longLived: number;
  lastCheck: string;
  /** Every live gateway's view. */
  cluster: ClusterBackendView;
}

export interface BackendsReport {
  gatewayId: string;
  now: number;
  epoch: number;
  store: 'memory' | 'redis';
  gateways: Array<{ gatewayId: string; epoch: number; at: number }>;
  rolloutLock: string | null;
  backends: BackendView[];
}

export async function backendsReport(gateway: ControlPlane): Promise<BackendsReport> {
  const [heartbeats, lock] = await Promise.all([gateway.coord.liveHeartbeats(), gateway.coord.store.lockHolder()]);
  const now = Date.now();
  const byName = new Map<string, BackendView>();
  for (const b of gateway.pool.allBackends()) {
    const existing = byName.get(b.name);
    if (existing) {
      existing.upstreams.push(b.upstream);
      continue;
    }
    byName.set(b.name, viewOf(gateway, b.name, heartbeats, now));
  }
  return {
    gatewayId: gateway.coord.gatewayId,
    now,
    epoch: gateway.coord.epoch,
    store: gateway.coord.store.kind,
    gateways: heartbeats.map((h) => ({ gatewayId: h.gatewayId, epoch: h.epoch, at: h.at })),
    rolloutLock: lock,
    backends: [...byName.values()],
  };
}

function viewOf(gateway: ControlPlane, name: string, heartbeats: Heartbeat[], now: number): BackendView {
  const all = gateway.pool.backendsNamed(name);
  const b = all[0]!;
  const record = gateway.coord.record(name);
  return {
    name,
    host: b.host,
    port: b.port,
    upstreams: [b.upstream],
    weight: b.weight,
    backup: b.settings.backup,
    down: b.settings.down,
    state: b.adminState,
    stateEpoch: record?.epoch ?? 0,
    stateSince: record?.since ?? null,
    stateBy: record?.by ?? null,
    health: b.health,
    serving: all.some((x) => x.isServing(now)),
    ejected: all.some((x) => x.passive.ejected(now)),
    slowStart: all.some((x) => x.effectiveWeight(now) < x.weight),
    inFlight: all.reduce((n, x) => n + gateway.countsOf(x).inFlight, 0),
    longLived: all.reduce((n, x) => n + gateway.countsOf(x).longLived, 0),
    lastCheck: b.checks.lastDetail,
    cluster: clusterView(name, record ?? (b.adminState === 'READY' ? undefined : { state: b.adminState, epoch: 0, since: 0, by: 'config' }), heartbeats),
  };
}
