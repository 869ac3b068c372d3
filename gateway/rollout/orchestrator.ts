import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { BackendsReport, BackendView } from '../admin/backend-views.js';
import type { AdminClient } from '../cli/admin-client.js';
import type { ProgressSink } from './progress.js';
import { expandRestartCommand, runRestartCommand } from './restart-runner.js';
import { RolloutError } from './rollout-errors.js';

export interface RolloutOptions {
  /** Restart command template: `{name}`, `{host}`, `{port}`; run through /bin/sh. */
  exec: string;
  drainTimeoutMs: number;
  readyTimeoutMs: number;
  settleMs: number;
  /** Also bounds the restart command itself. */
  restartTimeoutMs?: number;
  pollMs?: number;
  lockTtlMs?: number;
}

export interface BackendOutcome {
  name: string;
  /** Time from the drain request until DRAINED (or the timeout). */
  drainMs: number;
  /** The drain timeout passed with requests or streams still open: they were cut by the restart. */
  forced: boolean;
  leftInFlight: number;
  leftLongLived: number;
  restartMs: number;
  readyMs: number;
  /** Time the backend took no new requests: drain start → READY. */
  outOfServiceMs: number;
}

export interface RolloutResult {
  ok: boolean;
  owner: string;
  backends: BackendOutcome[];
  error?: { code: string; message: string; outcome: 'refused' | 'aborted'; backend: string | null };
}

/**
 * The rolling restart (docs/architecture.md §7), run by the CLI against one gateway's admin API; the admin state and the lock are
 * in the shared store, so every gateway follows and a second rollout anywhere is refused. For each backend in turn:
 * check safety → drain → wait DRAINED over every live gateway (or the drain timeout: forced, reported) → MAINT →
 * restart command → wait for `rise` fresh successful checks on every gateway within the ready timeout → READY
 * (slow start) → settle → next. Any failure aborts: the backend stays in MAINT, the rest untouched, lock released.
 */
export class RolloutOrchestrator {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  readonly #client: AdminClient;
  readonly #options: Required<RolloutOptions>;
  readonly #progress: ProgressSink;
  #lockLost: string | null = null;
  /** The backend this rollout took out of service and has not made READY again (left in MAINT on abort). */
  #touched: string | null = null;

  constructor(client: AdminClient, options: RolloutOptions, progress: ProgressSink) {
    this.#client = client;
    this.#options = { pollMs: 200, lockTtlMs: 30_000, restartTimeoutMs: options.readyTimeoutMs + options.drainTimeoutMs, ...options };
    this.#progress = progress;
  }

  async run(): Promise<RolloutResult> {
    const outcomes: BackendOutcome[] = [];
    let current: string | null = null;
    let locked = false;
    let renewTimer: NodeJS.Timeout | null = null;
    try {
      // The lock first: a second rollout is refused as such, not because the first one has a backend out.
      await this.#lock();
      locked = true;
      const report = await this.#report();
      const targets = report.backends.filter((b) => !b.down);
      this.#refuseUnsafe(targets);
      renewTimer = setInterval(() => void this.#renew(), Math.max(1_000, Math.floor(this.#options.lockTtlMs / 3)));
      renewTimer.unref();
      this.#step('', 0, targets.length, 'lock', `rollout lock taken (${this.owner}); ${targets.length} backend(s): ${targets.map((t) => t.name).join(', ')}`);
      for (const [index, target] of targets.entries()) {
        current = target.name;
        outcomes.push(await this.#restartOne(target, index, targets.length));
        current = null;
      }
      return { ok: true, owner: this.owner, backends: outcomes };
    } catch (err) {
      const untouched = this.#touched === null && outcomes.length === 0;
      const e = err instanceof RolloutError ? err : new RolloutError((err as { code?: string }).code ?? 'SG_ROLLOUT_ABORTED', (err as Error).message, untouched ? 'refused' : 'aborted', current);
      if (this.#touched !== null) await this.#leaveInMaint(this.#touched);
      this.#step(e.backend ?? current ?? '', 0, 0, 'abort', `${e.outcome}: ${e.message} (${e.code})`);
      return { ok: false, owner: this.owner, backends: outcomes, error: { code: e.code, message: e.message, outcome: e.outcome, backend: e.backend ?? current } };
    } finally {
      if (renewTimer) clearInterval(renewTimer);
      if (locked) await this.#client.delete(`/api/rollout/lock?owner=${encodeURIComponent(this.owner)}`).catch(() => {});
      this.#progress.finish();
    }
  }

  #refuseUnsafe(targets: BackendView[]): void {
    if (targets.length === 0) throw new RolloutError('SG_ROLLOUT_UNSAFE', 'no backend to restart', 'refused');
    const bad = targets.filter((b) => b.state !== 'READY' || !b.cluster.healthy);
    if (bad.length > 0) {
      const why = bad.map((b) => `${b.name} is ${b.state}/${b.cluster.healthy ? 'HEALTHY' : describeHealth(b)}`).join('; ');
      throw new RolloutError('SG_ROLLOUT_UNSAFE', `refusing to start: every backend must be READY and HEALTHY on every gateway (${why})`, 'refused');
    }
    if (targets.length < 2) throw new RolloutError('SG_ROLLOUT_UNSAFE', `refusing to start: restarting ${targets[0]!.name} would leave no backend serving`, 'refused');
  }

  async #lock(): Promise<void> {
    try {
      await this.#client.post('/api/rollout/lock', { owner: this.owner, ttlMs: this.#options.lockTtlMs });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      throw new RolloutError(e.code ?? 'SG_ROLLOUT_LOCKED', e.message ?? String(err), 'refused');
    }
  }

  async #renew(): Promise<void> {
    try {
      await this.#client.post('/api/rollout/lock/renew', { owner: this.owner, ttlMs: this.#options.lockTtlMs });
    } catch (err) {
      // A transient failure is retried at the next tick; a lost lock (another owner) stops the rollout.
      if ((err as { code?: string }).code === 'SG_ROLLOUT_LOCK_LOST') this.#lockLost = (err as Error).message;
    }
  }

  async #restartOne(target: BackendView, index: number, total: number): Promise<BackendOutcome> {
    const name = target.name;
    const path = `/api/backends/${encodeURIComponent(name)}`;
    const { drainTimeoutMs, readyTimeoutMs, settleMs } = this.#options;
    // Safety again at each step: the others must still be serving (the drain endpoint refuses otherwise).
    const before = await this.#report();
    const others = before.backends.filter((b) => b.name !== name && !b.down && b.state === 'READY' && b.cluster.healthy);
    if (others.length === 0) throw new RolloutError('SG_LAST_SERVING_BACKEND', `refusing to drain ${name}: no other backend is READY and HEALTHY`, 'aborted', name);
    this.#step(name, index, total, 'drain', 'no new requests from any gateway');
    const drainStart = Date.now();
    await this.#client.post(`${path}/drain`, { by: `rollout:${this.owner}` });
    this.#touched = name;
    const drained = await this.#poll(name, drainTimeoutMs, (b) => b.cluster.drained);
    let view = drained.view;
    const drainMs = Date.now() - drainStart;
    const forced = !drained.met;
    const leftInFlight = forced ? view.cluster.inFlight : 0;
    const leftLongLived = forced ? view.cluster.longLived : 0;
    this.#step(name, index, total, 'drained', forced
      ? `drain timeout (${drainTimeoutMs / 1000}s) passed: FORCED with ${view.cluster.inFlight} request(s) and ${view.cluster.longLived} stream(s) still open`
      : `drained on ${view.cluster.gateways} gateway(s) in ${(drainMs / 1000).toFixed(1)}s`);
    await this.#client.post(`${path}/maint`, { by: `rollout:${this.owner}` });
    // The command as it runs (placeholders filled in), so the progress line can be pasted into a shell.
    this.#step(name, index, total, 'restart', `running: ${expandRestartCommand(this.#options.exec, { name, host: target.host, port: target.port })}`);
    const restartStart = Date.now();
    const run = await runRestartCommand(this.#options.exec, { name, host: target.host, port: target.port }, this.#options.restartTimeoutMs);
    const restartMs = Date.now() - restartStart;
    if (run.timedOut || run.exitCode !== 0) {
      const how = run.timedOut ? `timed out after ${this.#options.restartTimeoutMs / 1000}s` : run.exitCode === null ? `failed (${run.signal ?? run.output})` : `exited with ${run.exitCode}`;
      throw new RolloutError('SG_RESTART_FAILED', `restart command for ${name} ${how}: ${run.command}${run.output ? `\n${run.output}` : ''}`, 'aborted', name);
    }
    // Fresh checks only: `rise` successes in a row, all made after the restart command returned. While it runs,
    // the old process may still answer a kept-alive health-check connection as it shuts down gracefully.
    const restarted = (await this.#report()).backends.find((b) => b.name === name) ?? view;
    const baseline = new Map(restarted.cluster.perGateway.map((g) => [g.gatewayId, g.checkSeq]));
    const readyStart = Date.now();
    const healthy = await this.#poll(name, readyTimeoutMs, (b) => freshlyHealthy(b, baseline));
    view = healthy.view;
    if (!healthy.met) {
      throw new RolloutError('SG_NOT_READY', `${name} did not pass its health checks within the ready timeout (${readyTimeoutMs / 1000}s): ${describeHealth(view)}`, 'aborted', name);
    }
    const readyMs = Date.now() - readyStart;
    this.#step(name, index, total, 'healthy', `healthy on ${view.cluster.gateways} gateway(s) after ${(readyMs / 1000).toFixed(1)}s`);
    await this.#client.post(`${path}/ready`, { by: `rollout:${this.owner}` });
    this.#touched = null;
    const outOfServiceMs = Date.now() - drainStart;
    this.#step(name, index, total, 'ready', 'READY (slow start)');
    if (settleMs > 0 && index < total - 1) {
      this.#step(name, index, total, 'settle', `waiting ${settleMs / 1000}s before the next backend`);
      await this.#sleepChecked(settleMs);
    }
    this.#step(name, index, total, 'done', `restarted (out of service ${(outOfServiceMs / 1000).toFixed(1)}s)`);
    return { name, drainMs, forced, leftInFlight, leftLongLived, restartMs, readyMs, outOfServiceMs };
  }

  async #report(): Promise<BackendsReport> {
    if (this.#lockLost) throw new RolloutError('SG_ROLLOUT_LOCK_LOST', this.#lockLost, 'aborted');
    return this.#client.get<BackendsReport>('/api/backends');
  }

  /** Poll the backend's view until `done` holds (met) or `timeoutMs` passes (not met); either way the last view. */
  async #poll(name: string, timeoutMs: number, done: (b: BackendView) => boolean): Promise<{ view: BackendView; met: boolean }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const report = await this.#report();
      const view = report.backends.find((b) => b.name === name);
      if (!view) throw new RolloutError('SG_UNKNOWN_BACKEND', `backend ${name} disappeared from the gateway's configuration`, 'aborted', name);
      if (done(view)) return { view, met: true };
      if (Date.now() >= deadline) return { view, met: false };
      await sleep(this.#options.pollMs);
    }
  }

  async #sleepChecked(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      await this.#report();
      await sleep(Math.min(this.#options.pollMs * 2, Math.max(0, deadline - Date.now())));
    }
  }

  async #leaveInMaint(name: string): Promise<void> {
    await this.#client.post(`/api/backends/${encodeURIComponent(name)}/maint`, { by: `rollout:${this.owner}:aborted` }).catch(() => {});
  }

  #step(backend: string, index: number, total: number, step: Parameters<ProgressSink['step']>[0]['step'], message: string): void {
    this.#progress.step({ backend, index, total, step, message });
  }
}

/** `rise` successful checks in a row on every live gateway, all after the baseline taken before the restart. */
export function freshlyHealthy(b: BackendView, baseline: Map<string, number>): boolean {
  if (b.cluster.perGateway.length === 0) return false;
  return b.cluster.perGateway.every((g) => g.health === 'HEALTHY' && g.okStreak >= g.rise && g.checkSeq - g.rise >= (baseline.get(g.gatewayId) ?? 0));
}

function describeHealth(b: BackendView): string {
  const parts = b.cluster.perGateway.map((g) => `${g.health} (${g.okStreak}/${g.rise} ok)`);
  return parts.length > 0 ? parts.join(', ') : `${b.health}, last check ${b.lastCheck || 'none'}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
