/**
 * `node dist/scripts/ipc-store-cost.js [--calls N] [--rounds R] [--concurrency C]` — what a worker's store call costs
 * over the master's IPC channel (docs/architecture.md §12), as CPU time of both processes per call rather than
 * throughput (a throughput ratio on a shared, loaded machine is mostly noise). A master holds a real
 * MemorySessionStore with one session of a few attributes and forks one worker; the worker `load`s it N times with C
 * calls in flight (C connections' worth), once per variant, interleaved round by round:
 * - `per-call`: one message per call and one per answer (the protocol before batching, written out here);
 * - `batched`: IpcSessionStore and StoreServer as shipped (the calls, and the answers, of one event-loop turn in
 *   one message).
 * Prints a Markdown table; nothing is asserted.
 */
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { IpcSessionStore, type IpcChannel } from '../gateway/process/ipc-store.js';
import { StoreServer } from '../gateway/process/store-server.js';
import { MemorySessionStore } from '../gateway/session/memory-store.js';
import { attributeField, type LoadOptions } from '../gateway/session/store.js';

type Variant = 'per-call' | 'batched';
type Control = { sg: 'cost-begin' } | { sg: 'cost-end'; variant: Variant } | { sg: 'one'; id: number; key: string; options: LoadOptions };
const TIMEOUTS = { idleTimeoutMs: 3_600_000, absoluteTimeoutMs: 86_400_000 };

function cpuUs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return d.user + d.system;
}

async function runMaster(): Promise<void> {
  const store = new MemorySessionStore({ sweepIntervalMs: 0 });
  const set = new Map([['name', '"Ada Lovelace"'], ['cart', JSON.stringify(Array.from({ length: 8 }, (_, i) => ({ sku: `sku-${i}`, n: i })))], ['role', '"admin"']]
    .map(([k, v]) => [attributeField('', k!), v!] as [string, string]));
  const created = await store.commit({
    now: Date.now(), key: null, token: randomBytes(12).toString('base64url'), newKey: randomBytes(32).toString('base64url'),
    newHandle: randomBytes(16).toString('base64url'), login: null, logout: false, maxBytes: 8192, backend: null, ...TIMEOUTS,
    ops: { set, unset: [], incr: new Map() },
  });
  if (!created.ok) throw new Error('could not create the session');
  cluster.setupPrimary({ serialization: 'advanced' });
  const worker = cluster.fork({ IPC_COST_KEY: created.key });
  const server = new StoreServer(store, (replies) => worker.send({ sg: 'store-reply', replies }));
  let since = process.cpuUsage();
  worker.on('message', (m: { sg?: string } & Record<string, unknown>) => {
    if (m.sg === 'store') server.answer(m.calls as never);
    else if (m.sg === 'one') {
      const c = m as unknown as Extract<Control, { sg: 'one' }>;
      void store.load(c.key, c.options).then((value) => worker.send({ sg: 'one-reply', id: c.id, ok: true, value }));
    } else if (m.sg === 'cost-begin') {
      since = process.cpuUsage();
      worker.send({ sg: 'cost-begun' });
    } else if (m.sg === 'cost-end') worker.send({ sg: 'cost-master', us: cpuUs(since) });
    else if (m.sg === 'cost-report') {
      process.stdout.write(String(m.text));
      worker.kill();
    }
  });
}

/** The protocol before batching: each call its own message, each answer its own. */
function perCallLoad(pending: Map<number, (v: unknown) => void>, next: { id: number }, key: string, options: LoadOptions): Promise<unknown> {
  const id = next.id++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    process.send!({ sg: 'one', id, key, options } satisfies Control);
  });
}

function nextMessage(sg: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const on = (m: Record<string, unknown>) => {
      if (m.sg !== sg) return;
      process.off('message', on);
      resolve(m);
    };
    process.on('message', on);
  });
}

async function runWorker(calls: number, rounds: number, concurrency: number): Promise<void> {
  const key = process.env.IPC_COST_KEY!;
  const store = new IpcSessionStore(process as unknown as IpcChannel);
  const pending = new Map<number, (v: unknown) => void>();
  const next = { id: 1 };
  process.on('message', (m: { sg?: string; id?: number; value?: unknown }) => {
    if (m.sg === 'one-reply') {
      pending.get(m.id!)?.(m.value);
      pending.delete(m.id!);
    }
  });
  const rows: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const variant of ['per-call', 'batched'] as const) {
      const load = (o: LoadOptions) => (variant === 'batched' ? store.load(key, o) : perCallLoad(pending, next, key, o));
      const begun = nextMessage('cost-begun');
      process.send!({ sg: 'cost-begin' } satisfies Control);
      await begun;
      const since = process.cpuUsage();
      const started = performance.now();
      let left = calls;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (left-- > 0) await load({ now: Date.now(), touchAfterMs: 60_000, ...TIMEOUTS });
      }));
      const wallMs = performance.now() - started;
      const workerUs = cpuUs(since);
      const ended = nextMessage('cost-master');
      process.send!({ sg: 'cost-end', variant } satisfies Control);
      const masterUs = (await ended).us as number;
      rows.push(`| ${round} | ${variant} | ${(workerUs / calls).toFixed(1)} | ${(masterUs / calls).toFixed(1)} | ${((workerUs + masterUs) / calls).toFixed(1)} | ${Math.round(calls / (wallMs / 1000))} |`);
    }
  }
  const header = `calls ${calls} per run, ${concurrency} in flight, session of 3 attributes\n\n| round | variant | worker µs/call | master µs/call | total µs/call | calls/s |\n|--:|---|--:|--:|--:|--:|\n`;
  process.send!({ sg: 'cost-report', text: `${header}${rows.join('\n')}\n` });
}

const { values } = parseArgs({ options: { calls: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '100' } } });
if (cluster.isPrimary) await runMaster();
else await runWorker(Number(values.calls), Number(values.rounds), Number(values.concurrency));
