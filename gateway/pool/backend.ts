import { Pool } from 'undici';
import type { UpstreamServerSettings, UpstreamSettings } from '../config/settings.js';

/** Admin state, shared by every gateway through the store (DESIGN §6). */
export type AdminState = 'READY' | 'DRAINING' | 'MAINT';
/** Health as this gateway sees it. */
export type HealthState = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY';

export interface BackendPoolOptions {
  connectTimeoutMs: number;
  /** Largest response head accepted from a backend: a write-back header may carry a whole session. */
  maxResponseHeaderBytes: number;
}

/**
 * One app node of an upstream: its keep-alive connection pool, its states and the counters that drain and the
 * balancer read. Sockets that outlive a request (WebSockets) are tracked so a drain can close them.
 */
export class Backend {
  readonly name: string;
  readonly upstream: string;
  readonly host: string;
  readonly port: number;
  readonly origin: string;
  readonly settings: UpstreamServerSettings;
  readonly dispatcher: Pool;
  adminState: AdminState;
  health: HealthState = 'UNKNOWN';
  inFlight = 0;
  /** Smooth weighted round-robin state (nginx's algorithm). */
  currentWeight = 0;
  readonly longLived = new Set<{ close(code: number, reason: string): void }>();

  constructor(upstream: UpstreamSettings, server: UpstreamServerSettings, options: BackendPoolOptions) {
    this.name = server.name;
    this.upstream = upstream.name;
    this.host = server.host;
    this.port = server.port;
    this.settings = server;
    this.origin = `http://${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}`;
    this.adminState = server.down ? 'MAINT' : 'READY';
    this.dispatcher = new Pool(this.origin, {
      connections: null,
      pipelining: 1,
      // Below the backend's own keep-alive timeout, so a pooled socket is never reused just as the backend closes it.
      keepAliveTimeout: upstream.keepaliveTimeoutMs,
      keepAliveMaxTimeout: upstream.keepaliveTimeoutMs,
      connect: { timeout: options.connectTimeoutMs },
      maxHeaderSize: options.maxResponseHeaderBytes,
    });
  }

  get weight(): number {
    return this.settings.weight;
  }

  /** May new requests go here? */
  isServing(): boolean {
    return this.adminState === 'READY' && this.health !== 'UNHEALTHY';
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
