import { LoadEngine } from '../../gateway/loadtest/load-engine.js';
import { VirtualUser } from '../../gateway/loadtest/virtual-user.js';
import type { LatencySummary } from './report-types.js';

export interface LoadSpec {
  port: number;
  path: string;
  connections: number;
  durationS: number;
  /** Fixed overall rate in req/s, or null for as fast as it goes. */
  rate: number | null;
  /** `Cookie` header values, handed to the connections round-robin (one session per connection, reused). */
  cookies: readonly string[];
  /** Stop after this many requests instead of after durationS. */
  amount?: number;
  /** `Connection: close` on every request: each one opens a connection of its own. */
  connectionPerRequest?: boolean;
}

export interface LoadOutcome {
  requests: number;
  durationS: number;
  rps: number;
  latencyMs: LatencySummary;
  non2xx: number;
  socketErrors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

/**
 * One run of the project's load engine (gateway/loadtest/load-engine.ts, shared with `session-gateway loadtest`) in
 * bench mode: fixed cookies, GET `path`, latencies of 2xx answers at microsecond resolution. `onTick` is called
 * about once a second with the fraction done (for the progress bar).
 */
export async function runLoad(spec: LoadSpec, onTick?: (fraction: number) => void): Promise<LoadOutcome> {
  const users = spec.cookies.map((cookie, index) => new VirtualUser({ index, principal: null, cookieName: '', cookie, fixed: true }));
  const headers: Record<string, string> = spec.connectionPerRequest ? { connection: 'close' } : {};
  const request = { name: spec.path, method: 'GET', path: spec.path, headers, body: null, weight: 1, expect: null, cookieMayChange: false };
  const engine = new LoadEngine({
    targets: [`http://127.0.0.1:${spec.port}`],
    requests: [request],
    users,
    connections: spec.connections,
    rate: spec.rate,
    durationMs: spec.durationS * 1000,
    amount: spec.amount,
    timeoutMs: 10_000,
    fixedCookies: true,
    onTick: (timeline, sent) => onTick?.(Math.min(1, spec.amount !== undefined ? sent / spec.amount : timeline.elapsedMs() / (spec.durationS * 1000))),
  });
  const result = await engine.run();
  const durationS = result.durationMs / 1000;
  const non2xx = Object.entries(result.statuses).filter(([code]) => !code.startsWith('2')).reduce((n, [, count]) => n + count, 0);
  return {
    requests: result.requests,
    durationS,
    rps: result.requests / durationS,
    latencyMs: result.timeline.total.summary(),
    non2xx,
    socketErrors: result.failed.socket + result.failed.timeout,
    timeouts: result.failed.timeout,
    statusCodes: result.statuses,
  };
}
