import autocannon from 'autocannon';
import { LatencyHistogram } from './latency-histogram.js';
import type { LatencySummary } from './report-types.js';

export interface LoadSpec {
  port: number;
  path: string;
  connections: number;
  durationS: number;
  /** Fixed overall rate in req/s (autocannon overallRate), or null for as fast as it goes. */
  rate: number | null;
  /** `Cookie` header values, handed to the connections round-robin (one session per connection, reused). */
  cookies: readonly string[];
  /** Stop after this many requests instead of after durationS. */
  amount?: number;
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
 * One autocannon run in this process. Latencies come from the `response` event into our own microsecond histogram;
 * `onTick` is called about once a second with the fraction done (for the progress bar).
 */
export function runLoad(spec: LoadSpec, onTick?: (fraction: number) => void): Promise<LoadOutcome> {
  const histogram = new LatencyHistogram();
  let assigned = 0;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const options: autocannon.Options = {
      url: `http://127.0.0.1:${spec.port}${spec.path}`,
      connections: spec.connections,
      duration: spec.durationS,
      timeout: 10,
      setupClient: (client) => {
        const cookie = spec.cookies[assigned++ % Math.max(1, spec.cookies.length)];
        if (cookie) client.setHeaders({ cookie });
      },
    };
    if (spec.rate !== null) options.overallRate = spec.rate;
    if (spec.amount !== undefined) options.amount = spec.amount;
    const instance = autocannon(options, (err, result) => {
      clearInterval(ticker);
      if (err) return reject(err);
      const durationS = (performance.now() - started) / 1000;
      const requests = result.requests.total;
      const statusCodes: Record<string, number> = {};
      for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0;
      resolve({
        requests,
        durationS: result.duration || durationS,
        rps: requests / (result.duration || durationS),
        latencyMs: histogram.summary(),
        non2xx: result.non2xx,
        socketErrors: result.errors,
        timeouts: result.timeouts,
        statusCodes,
      });
    });
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      // Like autocannon, only 2xx latencies: a fast 503 must not make a proxy look quick.
      if (statusCode >= 200 && statusCode < 300) histogram.record(responseTime);
    });
    const ticker = setInterval(() => {
      const elapsed = (performance.now() - started) / 1000;
      onTick?.(Math.min(1, spec.amount !== undefined ? histogram.count / spec.amount : elapsed / spec.durationS));
    }, 1000);
  });
}
