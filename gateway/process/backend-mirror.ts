import type { Logger } from '../log.js';
import type { BackendControl } from '../main.js';
import { COORD_DEFAULTS } from '../coord/coord-sync.js';
import { applyAdminState } from '../pool/drain.js';
import type { UpstreamPool } from '../pool/upstream-pool.js';
import { backendKey, isMasterMessage, type MasterMessage } from './ipc-messages.js';
import type { IpcChannel } from './ipc-store.js';

/** How often a worker tells the master its counts (what the gateway's heartbeat and drain decisions sum). */
export const COUNTS_INTERVAL_MS = 250;

/**
 * A worker's backend control (docs/architecture.md §12): the master decides every backend's admin state and runs the
 * health checks once per gateway; the worker applies what it is told (a backend leaving READY drains here too:
 * WebSockets 1012, SSE ended, fresh connection pool) and reports its in-flight and long-lived counts, so drain counts
 * and heartbeats stay per gateway. Passive failures (max_fails) stay per worker, as in nginx.
 */
export class BackendMirror implements BackendControl {
  readonly #pool: UpstreamPool;
  readonly #channel: IpcChannel;
  readonly #log: Logger;
  readonly #openRequests: () => number;
  #first: Promise<void>;
  #gotFirst!: () => void;
  #timer: NodeJS.Timeout | null = null;

  constructor(pool: UpstreamPool, channel: IpcChannel, log: Logger, openRequests: () => number) {
    this.#pool = pool;
    this.#channel = channel;
    this.#log = log;
    this.#openRequests = openRequests;
    this.#first = new Promise((resolve) => (this.#gotFirst = resolve));
    channel.on('message', (m) => {
      if (isMasterMessage(m) && m.sg === 'backends') this.#apply(m);
    });
  }

  /** Before listening: the master's states, so a worker never routes to a backend the gateway is draining. */
  async prepare(): Promise<void> {
    this.#channel.send({ sg: 'want-backends' });
    await this.#first;
  }

  async register(): Promise<void> {
    this.#timer = setInterval(() => this.reportCounts(), COUNTS_INTERVAL_MS);
    this.#timer.unref();
    this.reportCounts();
  }

  reportCounts(): void {
    if (!this.#channel.connected) return;
    const backends: Record<string, [number, number]> = {};
    for (const b of this.#pool.allBackends()) backends[backendKey(b.upstream, b.name)] = [b.inFlight, b.longLived.size];
    this.#channel.send({ sg: 'counts', backends, open: this.#openRequests() });
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.reportCounts();
  }

  #apply(m: Extract<MasterMessage, { sg: 'backends' }>): void {
    const now = Date.now();
    const byKey = new Map(m.backends.map((s) => [backendKey(s.upstream, s.name), s]));
    for (const backend of this.#pool.allBackends()) {
      const state = byKey.get(backendKey(backend.upstream, backend.name));
      if (!state) continue;
      // Came back healthy: the slow-start ramp starts here as in the master's checker (health-checker.ts).
      if (backend.health === 'UNHEALTHY' && state.health !== 'UNHEALTHY') backend.slowStartSince = now;
      backend.health = state.health;
      const to = backend.settings.down ? 'MAINT' : state.adminState;
      const from = applyAdminState(backend, to, now, { log: this.#log, sseGraceMs: COORD_DEFAULTS.drain.sseGraceMs });
      if (from !== null) this.#log.debug({ event: 'backend.admin_state', backend: backend.name, upstream: backend.upstream, from, to }, `backend ${backend.name}: ${from} → ${to} (from the master)`);
    }
    // Counts first: a master that sees the epoch applied must already have the counts from after it (a drain is
    // complete only when every part of the gateway applied it and reports nothing in flight).
    this.reportCounts();
    this.#channel.send({ sg: 'applied', epoch: m.epoch });
    this.#gotFirst();
  }
}
