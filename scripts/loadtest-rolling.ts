#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Agent } from 'undici';
import { Fleet, gatewayCli } from './rolling/fleet.js';
import { emptyStats, VirtualUser, type LoadStats } from './rolling/virtual-users.js';

/**
 * `npm run loadtest-rolling -- [--sessions 50] [--duration 15] [--gateways 1|2] [--json]`
 *
 * Zero-downtime check of the rolling restart: starts its own demo backends (respawned when they exit, like
 * `npm start`), one or two gateways (two share a private redis-server), many virtual users each with its own session
 * (login, counter increments, draft saves, and checks that nothing went backwards), and runs
 * `session-gateway rolling-restart` in the middle of the load. Prints requests, non-2xx, socket errors, sessions
 * whose counter went backwards or reset, drafts lost, and how long each backend was out of service; exits 1 on any
 * loss, when the rollout failed, or when a backend still runs its old pid.
 */

const USAGE = `usage: loadtest-rolling [--sessions N] [--duration S] [--gateways N] [--backends N] [--think MS] [--redis] [--json]
  --sessions N   virtual users, each with its own session (default 50)
  --duration S   minimum seconds of load; the load also runs until 2 s after the rollout ends (default 15)
  --gateways N   gateway processes sharing one private redis-server; load spread over all (default 1)
  --backends N   demo backends to restart (default 3)
  --think MS     pause between a user's requests (default 10)
  --redis        use Redis even with one gateway (default: the embedded store)
  --json         print the result as one JSON line at the end
`;

interface RolloutJson {
  ok: boolean;
  backends: Array<{ name: string; drainMs: number; forced: boolean; restartMs: number; readyMs: number; outOfServiceMs: number }>;
  error?: { code: string; message: string };
}

async function runRollout(fleet: Fleet): Promise<{ code: number | null; result: RolloutJson | null; stderr: string; ms: number }> {
  const started = Date.now();
  const args = [gatewayCli, 'rolling-restart', '--admin', fleet.gateways[0]!.adminUrl, '--exec', fleet.restartExec(), '--settle', '1', '--drain-timeout', '15', '--ready-timeout', '20', '--json'];
  const child = spawn(process.execPath, args, { env: fleet.env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    process.stderr.write(`  rollout | ${c.toString().trimEnd().split('\n').join('\n  rollout | ')}\n`);
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  let result: RolloutJson | null = null;
  try {
    result = JSON.parse(stdout.trim().split('\n').pop() ?? '') as RolloutJson;
  } catch {
    result = null;
  }
  return { code, result, stderr, ms: Date.now() - started };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      sessions: { type: 'string', default: '50' },
      duration: { type: 'string', default: '15' },
      gateways: { type: 'string', default: '1' },
      backends: { type: 'string', default: '3' },
      think: { type: 'string', default: '10' },
      redis: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const sessions = Number(values.sessions);
  const durationMs = Number(values.duration) * 1000;
  const gateways = Number(values.gateways);
  const backends = Number(values.backends);
  const thinkMs = Number(values.think);
  if (![sessions, durationMs, gateways, backends, thinkMs].every((n) => Number.isFinite(n) && n >= 0) || sessions < 1 || gateways < 1 || backends < 2) {
    process.stderr.write(USAGE);
    return 2;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  // Checks every second: a restarted backend is readmitted after 2 fresh successes, so the run stays short.
  const fleet = new Fleet({ backends, gateways, redis: values.redis, serverExtra: 'set $health_check_interval 1s; set $slow_start 2s;' });
  const agent = new Agent({ connections: Math.max(8, Math.ceil(sessions / gateways) + 4), keepAliveTimeout: 10_000 });
  const stats: LoadStats = emptyStats();
  try {
    log(`starting ${backends} demo backends, ${gateways} gateway(s)${fleet.options.redis || gateways > 1 ? ' and a private redis-server' : ' (embedded store)'}…`);
    await fleet.start();
    const pidsBefore = fleet.backendPids();
    const urls = fleet.gateways.map((g) => g.url);
    const users = Array.from({ length: sessions }, (_, i) => new VirtualUser(i, urls.slice(i % urls.length).concat(urls.slice(0, i % urls.length)), agent, stats, thinkMs));
    const logins = await Promise.all(users.map((u) => u.login()));
    const failedLogins = logins.filter((ok) => !ok).length;
    log(`${sessions - failedLogins}/${sessions} sessions logged in; load running…`);
    const loadStart = Date.now();
    let stopAt = Number.POSITIVE_INFINITY;
    const load = Promise.all(users.map((u) => u.run(() => Date.now() >= stopAt)));
    await new Promise((resolve) => setTimeout(resolve, Math.min(3_000, durationMs / 4)));
    log('rolling restart starting (the load keeps running)…');
    const rollout = await runRollout(fleet);
    stopAt = Math.max(loadStart + durationMs, Date.now() + 2_000);
    await load;
    const loadMs = Date.now() - loadStart;
    // A last check of every session after the rollout.
    await Promise.all(users.map((u) => u.verify()));
    const pidsAfter = fleet.backendPids();
    const notRestarted = Object.keys(pidsBefore).filter((name) => pidsAfter[name] === null || pidsAfter[name] === pidsBefore[name]);
    const loss = stats.non2xx + stats.socketErrors + stats.counterBackwards + stats.sessionsReset + stats.draftsLost + failedLogins;
    const ok = loss === 0 && rollout.code === 0 && rollout.result?.ok === true && notRestarted.length === 0;
    const lines = [
      `loadtest-rolling: ${sessions} sessions, ${gateways} gateway(s), ${backends} backends, ${(loadMs / 1000).toFixed(1)} s of load`,
      `  requests           ${stats.requests} (${(stats.requests / (loadMs / 1000)).toFixed(0)}/s), 2xx ${stats.ok}`,
      `  non-2xx            ${stats.non2xx}${stats.non2xx ? ` ${JSON.stringify(stats.statuses)}` : ''}`,
      `  socket errors      ${stats.socketErrors}${stats.socketErrors ? ` ${JSON.stringify(stats.errorCodes)}` : ''}`,
      `  sessions reset     ${stats.sessionsReset}`,
      `  counter backwards  ${stats.counterBackwards}`,
      `  drafts lost        ${stats.draftsLost}`,
      `  failed logins      ${failedLogins}`,
      `  rollout            ${rollout.result?.ok ? 'ok' : `FAILED (exit ${rollout.code}${rollout.result?.error ? `: ${rollout.result.error.message}` : ''})`} in ${(rollout.ms / 1000).toFixed(1)} s`,
      ...(rollout.result?.backends ?? []).map((b) => `    ${b.name}: drained in ${(b.drainMs / 1000).toFixed(2)} s${b.forced ? ' (FORCED)' : ''}, out of service ${(b.outOfServiceMs / 1000).toFixed(2)} s (restart ${(b.restartMs / 1000).toFixed(2)} s, healthy after ${(b.readyMs / 1000).toFixed(2)} s)`),
      `  pids               ${Object.keys(pidsBefore).map((n) => `${n} ${pidsBefore[n]}→${pidsAfter[n]}`).join(', ')}${notRestarted.length ? `  NOT RESTARTED: ${notRestarted.join(', ')}` : ''}`,
      `  requests per backend ${JSON.stringify(stats.backendsSeen)}`,
      ...(stats.samples.length ? ['  samples:', ...stats.samples.map((s) => `    ${s}`)] : []),
      ok ? 'RESULT: PASS (no failed request, no lost session)' : 'RESULT: FAIL',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ pass: ok, sessions, gateways, backends, loadMs, failedLogins, ...stats, rollout: rollout.result, rolloutMs: rollout.ms, pidsBefore, pidsAfter, notRestarted })}\n`);
    }
    return ok ? 0 : 1;
  } catch (err) {
    process.stderr.write(`loadtest-rolling: ${(err as Error).stack ?? String(err)}\n`);
    for (const g of fleet.gateways) process.stderr.write(`--- ${g.process.name}\n${g.process.tail()}\n`);
    return 1;
  } finally {
    await agent.close().catch(() => {});
    await fleet.stop();
  }
}

process.exitCode = await main();
