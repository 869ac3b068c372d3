import type { ScenarioId } from './report-types.js';

/** Which listening process a scenario sends its load to. */
export type TargetName = 'backend' | 'nginx' | 'gateway-redis' | 'gateway-embedded' | 'gateway-embedded-log' | 'express'
  /** The gateway on Redis whose commits wait for a replica (`$session_wait_replicas 1`): the bench Redis then has one. */
  | 'gateway-redis-wait'
  /** The process model (docs/architecture.md §12): master + 1 and + 2 workers (the rows above run `master_process off`). */
  | 'gateway-embedded-w1' | 'gateway-redis-w1' | 'gateway-embedded-w2' | 'gateway-redis-w2' | 'nginx-w2';

/** Which sessions the clients carry: none, a small logged-in one, or one filled to N bytes. */
export type SessionKind = { kind: 'none' } | { kind: 'login' } | { kind: 'filled'; bytes: number };

export interface ScenarioDefinition {
  id: ScenarioId;
  label: string;
  target: TargetName;
  /** Path on the bench backend (see bench-backend.ts): `/` reads, `/write` answers with an X-Session-Update. */
  path: string;
  session: SessionKind;
  /** null = the run's default connection count. */
  connections: number | null;
  /** Fixed-rate run (req/s), else null = as fast as it goes. */
  fixedRate: boolean;
  /** Part of a sweep rather than the side-by-side comparison. */
  group: 'compare' | 'size' | 'connections' | 'rate' | 'workers' | 'churn';
  /** Every request on a new connection (`Connection: close`): what accepting costs, hand-over to a worker included. */
  connectionPerRequest?: true;
}

export const MAIN_PATH: ScenarioId = 'gateway-redis';

export const SCENARIOS: readonly ScenarioDefinition[] = [
  { id: 'direct', label: 'direct (backend)', target: 'backend', path: '/', session: { kind: 'none' }, connections: null, fixedRate: false, group: 'compare' },
  { id: 'nginx', label: 'nginx proxy', target: 'nginx', path: '/', session: { kind: 'none' }, connections: null, fixedRate: false, group: 'compare' },
  { id: 'gateway-pass', label: 'gateway, no cookie', target: 'gateway-redis', path: '/', session: { kind: 'none' }, connections: null, fixedRate: false, group: 'compare' },
  { id: 'express', label: 'express-session stack', target: 'express', path: '/', session: { kind: 'login' }, connections: null, fixedRate: false, group: 'compare' },
  { id: 'gateway-redis', label: 'gateway + session, Redis (main)', target: 'gateway-redis', path: '/', session: { kind: 'login' }, connections: null, fixedRate: false, group: 'compare' },
  { id: 'gateway-embedded', label: 'gateway + session, embedded', target: 'gateway-embedded', path: '/', session: { kind: 'login' }, connections: null, fixedRate: false, group: 'compare' },
  // The same gateway with an access log to a file: what writing one line per request costs.
  { id: 'gateway-embedded-log', label: 'gateway + session, embedded, access log', target: 'gateway-embedded-log', path: '/', session: { kind: 'login' }, connections: null, fixedRate: false, group: 'compare' },
  { id: 'gateway-redis-write', label: 'gateway + session write, Redis', target: 'gateway-redis', path: '/write', session: { kind: 'login' }, connections: null, fixedRate: false, group: 'compare' },
  // The write row again with every commit followed by WAIT 1 (same Redis, same replica): what waiting costs.
  { id: 'gateway-redis-write-wait', label: 'gateway + session write, Redis, wait_replicas 1', target: 'gateway-redis-wait', path: '/write', session: { kind: 'login' }, connections: null, fixedRate: false, group: 'compare' },
  { id: 'gateway-redis-1k', label: 'main path, 1 KiB session', target: 'gateway-redis', path: '/', session: { kind: 'filled', bytes: 1024 }, connections: null, fixedRate: false, group: 'size' },
  { id: 'gateway-redis-4k', label: 'main path, 4 KiB session', target: 'gateway-redis', path: '/', session: { kind: 'filled', bytes: 4096 }, connections: null, fixedRate: false, group: 'size' },
  { id: 'gateway-redis-8k', label: 'main path, 8 KiB session', target: 'gateway-redis', path: '/', session: { kind: 'filled', bytes: 8192 }, connections: null, fixedRate: false, group: 'size' },
  { id: 'gateway-redis-c10', label: 'main path, 10 connections', target: 'gateway-redis', path: '/', session: { kind: 'login' }, connections: 10, fixedRate: false, group: 'connections' },
  { id: 'gateway-redis-c1000', label: 'main path, 1000 connections', target: 'gateway-redis', path: '/', session: { kind: 'login' }, connections: 1000, fixedRate: false, group: 'connections' },
  { id: 'gateway-embedded-w1', label: 'gateway + session, embedded, master + 1 worker', target: 'gateway-embedded-w1', path: '/', session: { kind: 'login' }, connections: null, fixedRate: false, group: 'workers' },
  { id: 'gateway-redis-w1', label: 'gateway + session, Redis, master + 1 worker', target: 'gateway-redis-w1', path: '/', session: { kind: 'login' }, connections: null, fixedRate: false, group: 'workers' },
  { id: 'nginx-w2', label: 'nginx proxy, 2 workers', target: 'nginx-w2', path: '/', session: { kind: 'none' }, connections: null, fixedRate: false, group: 'workers' },
  { id: 'gateway-redis-w2', label: 'gateway + session, Redis, master + 2 workers', target: 'gateway-redis-w2', path: '/', session: { kind: 'login' }, connections: null, fixedRate: false, group: 'workers' },
  { id: 'gateway-embedded-w2', label: 'gateway + session, embedded, master + 2 workers', target: 'gateway-embedded-w2', path: '/', session: { kind: 'login' }, connections: null, fixedRate: false, group: 'workers' },
  // A connection per request: accepting, and with a master the hand-over of each connection to its worker.
  { id: 'nginx-churn', label: 'nginx proxy, a connection per request', target: 'nginx', path: '/', session: { kind: 'none' }, connections: null, fixedRate: false, group: 'churn', connectionPerRequest: true },
  { id: 'gateway-redis-churn', label: 'main path, a connection per request', target: 'gateway-redis', path: '/', session: { kind: 'login' }, connections: null, fixedRate: false, group: 'churn', connectionPerRequest: true },
  { id: 'gateway-redis-w1-churn', label: 'main path, master + 1 worker, a connection per request', target: 'gateway-redis-w1', path: '/', session: { kind: 'login' }, connections: null, fixedRate: false, group: 'churn', connectionPerRequest: true },
  { id: 'direct-rate', label: 'direct at fixed rate', target: 'backend', path: '/', session: { kind: 'none' }, connections: null, fixedRate: true, group: 'rate' },
  { id: 'gateway-redis-rate', label: 'main path at fixed rate', target: 'gateway-redis', path: '/', session: { kind: 'login' }, connections: null, fixedRate: true, group: 'rate' },
];

export function scenarioById(id: ScenarioId): ScenarioDefinition {
  const found = SCENARIOS.find((s) => s.id === id);
  if (!found) throw new Error(`unknown scenario ${id}`);
  return found;
}

/**
 * The runs the ratio targets compare (targets.ts), kept close in every round: a round's ratio is only as good as its
 * two runs are close in time, on a machine whose speed swings by a fifth from one minute to the next. The main path
 * sits between the express-session stack and the embedded store (the two ratios of issue 9), the access log next to
 * the embedded store it is compared with, the pass-through two runs from the main path. Listed in the order they run
 * in even rounds; odd rounds reverse it, so neither side of a pair always runs first.
 */
const ADJACENT: readonly ScenarioId[] = ['gateway-pass', 'express', 'gateway-redis', 'gateway-embedded', 'gateway-embedded-log'];

/**
 * The order of one round. The comparison group is rotated by the round number so that no scenario always runs first
 * (right after an idle pause) or last; the ADJACENT runs move as one block in that rotation. The sweeps follow in a
 * fixed order.
 */
export function roundOrder(round: number, available: ReadonlySet<TargetName>): ScenarioDefinition[] {
  const usable = SCENARIOS.filter((s) => available.has(s.target));
  const compare = usable.filter((s) => s.group === 'compare');
  const block = ADJACENT.map((id) => compare.find((s) => s.id === id)).filter((s): s is ScenarioDefinition => s !== undefined);
  if (round % 2 === 1) block.reverse();
  // One unit per scenario, the block in the place of its first member.
  const units: ScenarioDefinition[][] = [];
  for (const s of compare) {
    if (!ADJACENT.includes(s.id)) units.push([s]);
    else if (s === compare.find((c) => ADJACENT.includes(c.id))) units.push(block);
  }
  const shift = units.length === 0 ? 0 : round % units.length;
  const rotated = [...units.slice(shift), ...units.slice(0, shift)].flat();
  return [...rotated, ...usable.filter((s) => s.group !== 'compare')];
}
