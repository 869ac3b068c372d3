import type { AdminState, HealthState } from '../pool/backend.js';

/**
 * Shared admin state and heartbeats (docs/architecture.md §6–§7): what every gateway in front of the same backends must agree on.
 * Two implementations: memory-coord.ts (the embedded store: one gateway) and redis-coord.ts (REDIS_URL: every
 * gateway). On the wire (Redis) the format is versioned by the key prefix (`sg:v1:coord:`).
 */

/** One backend's admin state, stamped with the epoch of the change that set it. */
export interface BackendAdminRecord {
  state: AdminState;
  epoch: number;
  /** ms since the epoch (the writer's clock), for display. */
  since: number;
  /** Who changed it ("admin", "rollout:<owner>"), for display. */
  by: string;
}

export interface AdminSnapshot {
  /** Highest epoch of any change; every change bumps it. */
  epoch: number;
  backends: Record<string, BackendAdminRecord>;
}

/** What one gateway reports about one backend. */
export interface BackendReport {
  inFlight: number;
  longLived: number;
  health: HealthState;
  /** Completed active checks, and the current run of successes: lets a rollout ask for `rise` fresh successes. */
  checkSeq: number;
  okStreak: number;
  rise: number;
}

export interface Heartbeat {
  gatewayId: string;
  /** The admin-state epoch this gateway has applied. */
  epoch: number;
  at: number;
  backends: Record<string, BackendReport>;
}

export type LockResult = { acquired: true } | { acquired: false; holder: string };

export interface CoordStore {
  readonly kind: 'memory' | 'redis';
  load(): Promise<AdminSnapshot>;
  /** Set one backend's admin state; returns the new record (with its new epoch). */
  setState(name: string, state: AdminState, by: string): Promise<BackendAdminRecord>;
  /** Publish this gateway's heartbeat; it disappears after `ttlMs` unless renewed (a dead gateway drops out). */
  publishHeartbeat(heartbeat: Heartbeat, ttlMs: number): Promise<void>;
  removeHeartbeat(gatewayId: string): Promise<void>;
  /** The heartbeats of every live gateway. */
  heartbeats(): Promise<Heartbeat[]>;
  /** The rollout lock: one owner at a time, gone after `ttlMs` unless renewed. */
  acquireLock(owner: string, ttlMs: number): Promise<LockResult>;
  renewLock(owner: string, ttlMs: number): Promise<boolean>;
  releaseLock(owner: string): Promise<boolean>;
  lockHolder(): Promise<string | null>;
  /** A hint that the admin state changed (pub/sub); gateways re-read periodically anyway. */
  onChange(listener: () => void): void;
  close(): Promise<void>;
}
