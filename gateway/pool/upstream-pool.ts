import type { GatewaySettings, UpstreamSettings } from '../config/settings.js';
import { defaults } from '../config/settings.js';
import { Backend, type BackendPoolOptions } from './backend.js';
import { pickSmoothWeighted } from './weighted-round-robin.js';

/** The backends of one upstream and how a request picks one. */
export class Upstream {
  readonly name: string;
  readonly settings: UpstreamSettings;
  readonly backends: Backend[];

  constructor(settings: UpstreamSettings, options: BackendPoolOptions) {
    this.name = settings.name;
    this.settings = settings;
    this.backends = settings.servers.map((server) => new Backend(settings, server, options));
  }

  /**
   * The next backend for a new request: primary servers that are serving, weighted; `backup` servers only when no
   * primary is; never one in `exclude` (a retry goes to a different backend).
   */
  pick(exclude?: ReadonlySet<Backend>): Backend | null {
    const now = Date.now();
    const candidates = (backup: boolean) =>
      this.backends.filter((b) => b.settings.backup === backup && b.isServing(now) && !exclude?.has(b));
    const weight = (b: Backend) => b.effectiveWeight(now);
    const primary = candidates(false);
    if (primary.length > 0) return pickSmoothWeighted(primary, weight);
    const backup = candidates(true);
    if (backup.length > 0) return pickSmoothWeighted(backup, weight);
    // Fail open (Envoy's "panic" mode): when every READY backend looks unhealthy, a wrong health check (an app
    // without /healthz) must not take the whole upstream down; admin states are still obeyed.
    return pickSmoothWeighted(this.backends.filter((b) => b.adminState === 'READY' && !b.settings.backup && !exclude?.has(b)));
  }

  /** Backends other than `backend` that take new requests now (for "never leave none serving"). */
  othersServing(backend: Backend, now = Date.now()): Backend[] {
    return this.backends.filter((b) => b !== backend && b.isServing(now));
  }

  /**
   * Passive failure accounting (nginx max_fails / fail_timeout): eject after too many failures, but never the last
   * serving backend — a struggling backend is better than a certain 503. Returns true when it ejected.
   */
  recordFailure(backend: Backend, now = Date.now()): boolean {
    if (!backend.passive.recordFailure(now)) return false;
    if (this.othersServing(backend, now).length === 0) return false;
    backend.passive.eject(now);
    backend.slowStartSince = now + backend.passive.failTimeoutMs;
    return true;
  }
}

/** Every upstream of the configuration, by name; backends are also found by their NAME (`host:port`). */
export class UpstreamPool {
  readonly #upstreams = new Map<string, Upstream>();

  constructor(settings: GatewaySettings, options: Partial<BackendPoolOptions> = {}) {
    const resolved: BackendPoolOptions = {
      connectTimeoutMs: options.connectTimeoutMs ?? defaults.proxy.connectTimeoutMs,
      maxResponseHeaderBytes: options.maxResponseHeaderBytes ?? 64 * 1024,
    };
    for (const upstream of settings.upstreams.values()) this.#upstreams.set(upstream.name, new Upstream(upstream, resolved));
  }

  upstream(name: string): Upstream | undefined {
    return this.#upstreams.get(name);
  }

  upstreams(): IterableIterator<Upstream> {
    return this.#upstreams.values();
  }

  /** All backends with this NAME (the same host:port may serve several upstreams). */
  backendsNamed(name: string): Backend[] {
    const found: Backend[] = [];
    for (const upstream of this.#upstreams.values()) for (const b of upstream.backends) if (b.name === name) found.push(b);
    return found;
  }

  allBackends(): Backend[] {
    return [...this.#upstreams.values()].flatMap((u) => u.backends);
  }

  async close(): Promise<void> {
    await Promise.all(this.allBackends().map((b) => b.close()));
  }
}
