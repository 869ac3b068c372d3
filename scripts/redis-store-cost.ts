/**
 * `node dist/scripts/redis-store-cost.js [--sessions N] [--commits N]` — what the Redis store's background passes and
 * its commit script cost Redis (docs/architecture.md §13, "Writes" and "Sweep and stats"), counted with INFO
 * commandstats on a redis-server of its own (never the shared one), so the numbers do not depend on how busy the
 * machine is:
 * - an idle sweep (N live sessions, none due) and a stats read: scripts sent and commands Redis ran for each, and
 *   their share of a second at the default interval (a sweep every 5 s);
 * - a commit of one `incr` to a logged-in session: commands Redis runs per commit (the EVALSHA and those inside it)
 *   and the script's own time per call (that one varies with the machine).
 * Prints a Markdown table; nothing is asserted. Run it on two builds to compare them.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { DEFAULT_SWEEP_INTERVAL_MS } from '../gateway/config/env.js';
import { mintIdInBucket } from '../gateway/session/key-placement.js';
import { createSessionStore } from '../gateway/session/store-factory.js';
import { attributeField, type CommitRequest, type SessionStore } from '../gateway/session/store.js';
import { BenchRedis } from './bench/redis-launcher.js';

interface CommandTotals {
  calls: number;
  scripts: number;
  evalUsec: number;
}

async function totals(client: Redis): Promise<CommandTotals> {
  const out: CommandTotals = { calls: 0, scripts: 0, evalUsec: 0 };
  for (const line of (await client.info('commandstats')).split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
    if (!m || m[1] === 'info' || m[1]!.startsWith('config')) continue;
    out.calls += Number(m[2]);
    if (/^eval(sha)?$/.test(m[1]!)) {
      out.scripts += Number(m[2]);
      out.evalUsec += Number(m[3]);
    }
  }
  return out;
}

async function counted(client: Redis, action: () => Promise<unknown>): Promise<CommandTotals> {
  await client.config('RESETSTAT');
  await action();
  return totals(client);
}

const TIMEOUTS = { idleTimeoutMs: 1_800_000, absoluteTimeoutMs: 86_400_000 };
const field = (name: string): string => attributeField('', name);

function commitOf(now: number, partial: Partial<CommitRequest>): CommitRequest {
  const id = (): string => randomBytes(32).toString('base64url');
  return { now, key: null, newKey: id(), newHandle: id(), token: id(), login: null, logout: false, maxBytes: 8192, backend: 'app1', ops: { set: new Map(), unset: [], incr: new Map() }, ...TIMEOUTS, ...partial };
}

async function loggedInSessions(store: SessionStore, count: number, now: number): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const principal = `cost-user-${i}`;
    const newKey = mintIdInBucket(store.placementOf?.(principal) ?? 0, (x) => x).key;
    const set = new Map([[field('n'), '0'], [field('name'), JSON.stringify(`user ${i}`)]]);
    const result = await store.commit(commitOf(now, { newKey, ops: { set, unset: [], incr: new Map() }, login: { principal, maxPerPrincipal: 0, onLimit: 'evict-oldest', graceMs: 0 } }));
    if (!result.ok) throw new Error(`login ${i} failed: ${JSON.stringify(result)}`);
    keys.push(result.key);
  }
  return keys;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { sessions: { type: 'string', default: '1000' }, commits: { type: 'string', default: '4000' } } });
  const sessions = Number(values.sessions);
  const commits = Number(values.commits);
  const redis = await BenchRedis.start(4096);
  const client = new Redis(redis.port, '127.0.0.1');
  const store = await createSessionStore({ redisUrl: redis.url });
  try {
    const t = Date.now();
    const keys = await loggedInSessions(store, sessions, t);
    const sweep = await counted(client, () => store.sweepExpired(t + 1_000, { owner: 'cost', lockMs: 1_000, batch: 200 }));
    const stats = await counted(client, () => store.stats(t + 1_000));
    const commit = await counted(client, async () => {
      for (let i = 0; i < commits; i++) {
        const result = await store.commit(commitOf(t + 2_000 + i, { key: keys[i % keys.length]!, ops: { set: new Map(), unset: [], incr: new Map([[field('n'), 1]]) } }));
        if (!result.ok) throw new Error(`commit ${i} failed`);
      }
    });
    const perSecond = 1_000 / DEFAULT_SWEEP_INTERVAL_MS;
    const rows = [
      ['idle sweep', `${sweep.scripts} scripts, ${sweep.calls} commands`, `${(sweep.scripts * perSecond).toFixed(1)} scripts/s at one sweep per ${DEFAULT_SWEEP_INTERVAL_MS / 1000} s`, `${sweep.evalUsec} µs`],
      ['stats read', `${stats.scripts} scripts, ${stats.calls} commands`, '', `${stats.evalUsec} µs`],
      ['commit (incr, logged in)', `${(commit.calls / commits).toFixed(2)} commands per commit`, `${commits} commits`, `${(commit.evalUsec / commit.scripts).toFixed(1)} µs per script`],
    ];
    process.stdout.write(`${sessions} logged-in sessions in a redis-server of its own (INFO commandstats, commands inside scripts included)\n\n`
      + '| what | Redis runs | | script time |\n| --- | --- | --- | --- |\n'
      + rows.map((r) => `| ${r.join(' | ')} |`).join('\n') + '\n');
  } finally {
    await store.close();
    client.disconnect();
    await redis.close();
  }
}

await main();
