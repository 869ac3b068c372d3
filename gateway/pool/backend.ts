import { Pool } from 'undici';
import type { UpstreamServerSettings, UpstreamSettings } from '../config/settings.js';
import { HealthRecord } from './health-record.js';
import { ConnectionSlots } from './connection-slots.js';
import { BackendLoad, type Lease, type LongLived } from './lease.js';
import { PassiveFailures } from './passive-failures.js';
import { slowStartWeight } from './slow-start.js';

/** Admin state, shared by every gateway through the store (docs/architecture.md §6). */
export type AdminState = 'READY' | 'DRAINING' | 'MAINT';
/** Health as this gateway sees it. */
export type HealthState = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY';

export interface BackendPoolOptions {
  connectTimeoutMs: number;
  /** Largest response head accepted from a backend: a write-back header may carry a whole session. */
  maxResponseHeaderBytes: number;
}

export type { LongLived } from './lease.js';

/**
 * One app node of an upstream: its keep-alive connection pool, its states and the counters that drain and the
 * balancer read. Those counts move only through leases (lease.ts); streams that outlive a request (WebSockets, SSE)
 * are tracked so a drain can close them.
 */
export class Backend {
  readonly name: string;
  readonly upstream: string;
  readonly host: string;
  readonly port: number;
  readonly origin: string;
  readonly settings: UpstreamServerSettings;
  /** Replaced (not reused) when a drain starts: the old pool finishes its requests and closes its idle sockets. */
  dispatcher: Pool;
  adminState: AdminState;
  health: HealthState = 'UNKNOWN';
  /** Smooth weighted round-robin state (nginx's algorithm). */
  currentWeight = 0;
  readonly #load = new BackendLoad();
  /**
   * nginx `max_conns`, counting open WebSocket tunnels too (connection-slots.ts); kept across a drain's new pool.
   * None without a limit: requests then go straight to the pool, with nothing added to the hot path.
   */
  readonly slots: ConnectionSlots | undefined;
  /** Active check counts (health-checker.ts). */
  readonly checks = new HealthRecord();
  /** nginx max_fails / fail_timeout. */
  readonly passive: PassiveFailures;
  /** When the backend last came back (READY again, or healthy again): the slow-start ramp starts here. */
  slowStartSince: number | null = null;
  slowStartMs = 0;
  readonly #poolOptions: Pool.Options;

  constructor(upstream: UpstreamSettings, server: UpstreamServerSettings, options: BackendPoolOptions) {
    this.name = server.name;
    this.upstream = upstream.name;
    this.host = server.host;
    this.port = server.port;
    this.settings = server;
    this.origin = `http://${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}`;
    this.adminState = server.down ? 'MAINT' : 'READY';
    this.passive = new PassiveFailures(server.maxFails, server.failTimeoutMs);
    this.slowStartMs = upstream.health.slowStartMs;
    this.slots = server.maxConns > 0 ? new ConnectionSlots(server.maxConns) : undefined;
    this.#poolOptions = {
      // nginx `max_conns`: over it, requests wait (in `slots`, which also counts tunnels the pool no longer sees)
      // for a free connection instead of opening more (a burst of new connections can overflow a backend's listen
      // queue and stall in SYN retries). The pool's own limit is the same, so it never opens more either.
      connections: server.maxConns > 0 ? server.maxConns : null,
      pipelining: 1,
      // Below the backend's own keep-alive timeout, so a pooled socket is never reused just as the backend closes it.
      keepAliveTimeout: upstream.keepaliveTimeoutMs,
      keepAliveMaxTimeout: upstream.keepaliveTimeoutMs,
      connect: { timeout: options.connectTimeoutMs },
      maxHeaderSize: options.maxResponseHeaderBytes,
    };
    this.dispatcher = new Pool(this.origin, this.#poolOptions);
  }

  /** Hold this backend for one request: in flight until released (or long-lived once promoted). */
  lease(): Lease {
    return this.#load.acquire();
  }

  get inFlight(): number {
    return this.#load.inFlight;
  }

  get longLived(): ReadonlySet<LongLived> {
    return this.#load.longLived;
  }

  get weight(): number {
    return this.settings.weight;
  }

  /** The weight the balancer uses now: ramped during slow start. */
  effectiveWeight(now = Date.now()): number {
    return slowStartWeight(this.settings.weight, this.slowStartSince, this.slowStartMs, now);
  }

  /**
   * May new requests go here? READY, not known to be unhealthy (UNKNOWN serves: no check has completed yet), and not
   * ejected by passive failure counting.
   */
  isServing(now = Date.now()): boolean {
    return this.adminState === 'READY' && this.health !== 'UNHEALTHY' && !this.passive.ejected(now);
  }

  /**
   * Start a fresh connection pool and return the old one. Closing the old pool lets its in-flight requests finish and
   * closes its idle keep-alive sockets at once: exactly what a drain needs, and the backend gets clean sockets when
   * it is READY again.
   */
  replaceDispatcher(): Pool {
    const old = this.dispatcher;
    this.dispatcher = new Pool(this.origin, this.#poolOptions);
    return old;
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
