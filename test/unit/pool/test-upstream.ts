import { defaults, type UpstreamSettings } from '../../../gateway/config/settings.js';
import { Upstream } from '../../../gateway/pool/upstream-pool.js';

/** An upstream `app` of servers on 127.0.0.1 (no socket is opened until a request is sent). */
export function testUpstream(servers: Array<{ port: number; backup?: boolean; maxFails?: number }>): Upstream {
  const settings: UpstreamSettings = {
    name: 'app',
    keepalive: 4,
    keepaliveTimeoutMs: 4_000,
    health: { ...defaults.health },
    source: 'test:1',
    servers: servers.map((s) => ({ name: `127.0.0.1:${s.port}`, host: '127.0.0.1', port: s.port, weight: 1, maxFails: s.maxFails ?? 1, failTimeoutMs: 10_000, backup: s.backup ?? false, down: false, maxConns: 0 })),
  };
  return new Upstream(settings, { connectTimeoutMs: 1_000, maxResponseHeaderBytes: 16_384 });
}
