import { Redis } from 'ioredis';
import { httpGet } from '../lib/net.js';

export interface RoundTripProbe {
  requests: number;
  /** Commands clients sent to Redis per request — each one a round trip, or part of a pipelined one. */
  perRequest: number;
  /**
   * Top-level commands per request by name (commands a Lua script runs inside Redis are not counted); the gateway's
   * background work that happened during the probe is listed as `background <name>`, outside `perRequest`.
   */
  byCommand: Record<string, number>;
}

/** The key a command names first: EVAL/EVALSHA name theirs after the script and the key count. */
function firstKey(args: readonly string[]): string {
  const name = String(args[0] ?? '').toLowerCase();
  return String((name === 'evalsha' || name === 'eval' ? args[3] : args[1]) ?? '');
}

/**
 * Work the gateway does on a timer, whatever the requests: the expiry sweep (its lock, then one script per bucket's
 * deadline index `…:x`: the check of every bucket, then a sweep where one is due), the stats (by a bucket's `…:c`) and
 * the shared admin state and heartbeats (`…coord:…`). It falls into a probe by chance (every
 * SESSION_SWEEP_INTERVAL_MS), so it is not charged to the requests; the note lists it.
 */
export function isBackgroundCommand(args: readonly string[]): boolean {
  return /(?:^sg:v\d+:|\}:v\d+:|\}:)(?:coord:|l:sweep$|[xcz]$)/.test(firstKey(args));
}

/** Commands the bench itself sends; never charged to the proxy under test. */
const OWN = new Set(['info', 'ping', 'monitor', 'client']);

/**
 * Redis round trips per request, measured exactly on a short sequential probe with MONITOR, whose lines tell the
 * commands a client sent (`[0 127.0.0.1:port]`) from those a Lua script ran (`[0 lua]`). `INFO commandstats` under
 * load cannot: it counts the commands inside an EVALSHA too. MONITOR slows Redis down, hence a probe and not the
 * load runs.
 */
export async function probeRoundTrips(redisPort: number, targetPort: number, path: string, cookie: string | null, requests = 200): Promise<RoundTripProbe> {
  const client = new Redis(redisPort, '127.0.0.1', { lazyConnect: true });
  // A connection error (seen once on a heavily loaded machine: "Command queue state error") fails this probe, not the
  // bench: an 'error' event without a listener would end the process before it stops what it started.
  let failure: Error | null = null;
  const failed = (err: Error): void => {
    failure ??= err;
  };
  client.on('error', failed);
  await client.connect();
  const monitor = await client.monitor();
  monitor.on('error', failed);
  const counts: Record<string, number> = {};
  let total = 0;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === 'lua') return;
    const name = String(args[0] ?? '').toLowerCase();
    if (OWN.has(name)) return;
    const background = isBackgroundCommand(args);
    const label = background ? `background ${name}` : name;
    counts[label] = (counts[label] ?? 0) + 1;
    if (!background) total += 1;
  });
  try {
    for (let i = 0; i < requests; i += 1) {
      const res = await httpGet(targetPort, path, cookie ? { cookie } : {});
      if (res.status !== 200) throw new Error(`round-trip probe: ${path} answered ${res.status}`);
    }
    // MONITOR lines trail the replies by a moment; a short settle so the last request's commands are counted.
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (failure) throw new Error(`round-trip probe: the MONITOR connection failed: ${(failure as Error).message}`);
  } finally {
    monitor.disconnect();
    client.disconnect();
  }
  const byCommand: Record<string, number> = {};
  for (const [name, n] of Object.entries(counts)) byCommand[name] = n / requests;
  return { requests, perRequest: total / requests, byCommand };
}
