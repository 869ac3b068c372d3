import { EventEmitter } from 'node:events';
import type { AdminState } from '../pool/backend.js';
import type { AdminSnapshot, BackendAdminRecord, CoordStore, Heartbeat, LockResult } from './coord-store.js';

/** Admin state for the embedded store: one gateway, so "shared" means this process. */
export class MemoryCoordStore implements CoordStore {
  readonly kind = 'memory' as const;
  readonly #clock: () => number;
  readonly #events = new EventEmitter();
  #epoch = 0;
  readonly #states = new Map<string, BackendAdminRecord>();
  readonly #heartbeats = new Map<string, { heartbeat: Heartbeat; expiresAt: number }>();
  #lock: { owner: string; expiresAt: number } | null = null;

  constructor(clock: () => number = Date.now) {
    this.#clock = clock;
  }

  async load(): Promise<AdminSnapshot> {
    return { epoch: this.#epoch, backends: Object.fromEntries([...this.#states].map(([k, v]) => [k, { ...v }])) };
  }

  async setState(name: string, state: AdminState, by: string): Promise<BackendAdminRecord> {
    const record: BackendAdminRecord = { state, epoch: ++this.#epoch, since: this.#clock(), by };
    this.#states.set(name, record);
    this.#events.emit('change');
    return { ...record };
  }

  async publishHeartbeat(heartbeat: Heartbeat, ttlMs: number): Promise<void> {
    this.#heartbeats.set(heartbeat.gatewayId, { heartbeat, expiresAt: this.#clock() + ttlMs });
  }

  async removeHeartbeat(gatewayId: string): Promise<void> {
    this.#heartbeats.delete(gatewayId);
  }

  async heartbeats(): Promise<Heartbeat[]> {
    const now = this.#clock();
    const live: Heartbeat[] = [];
    for (const [id, entry] of this.#heartbeats) {
      if (entry.expiresAt <= now) this.#heartbeats.delete(id);
      else live.push(entry.heartbeat);
    }
    return live;
  }

  async acquireLock(owner: string, ttlMs: number): Promise<LockResult> {
    const now = this.#clock();
    if (this.#lock && this.#lock.expiresAt > now && this.#lock.owner !== owner) return { acquired: false, holder: this.#lock.owner };
    this.#lock = { owner, expiresAt: now + ttlMs };
    return { acquired: true };
  }

  async renewLock(owner: string, ttlMs: number): Promise<boolean> {
    const now = this.#clock();
    if (!this.#lock || this.#lock.owner !== owner || this.#lock.expiresAt <= now) return false;
    this.#lock.expiresAt = now + ttlMs;
    return true;
  }

  async releaseLock(owner: string): Promise<boolean> {
    if (!this.#lock || this.#lock.owner !== owner) return false;
    this.#lock = null;
    return true;
  }

  async lockHolder(): Promise<string | null> {
    return this.#lock && this.#lock.expiresAt > this.#clock() ? this.#lock.owner : null;
  }

  onChange(listener: () => void): void {
    this.#events.on('change', listener);
  }

  async close(): Promise<void> {
    this.#events.removeAllListeners();
  }
}
