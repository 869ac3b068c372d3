#!/usr/bin/env node
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AdminClient } from '../gateway/cli/admin-client.js';
import { LoadProgress } from '../gateway/loadtest/progress.js';
import { writeLoadtestReport } from '../gateway/loadtest/report-writer.js';
import { runLoadtest } from '../gateway/loadtest/run-loadtest.js';
import { summaryLines } from '../gateway/loadtest/summary.js';
import { DEMO_SCENARIO, demoCheck } from './rolling/demo-checks.js';
import { Fleet } from './rolling/fleet.js';

/**
 * `npm run loadtest-rolling -- [--sessions 50] [--duration 15] [--gateways 1|2] [--json] [--out DIR]`
 *
 * Zero-downtime check of the rolling restart on the demo: starts its own demo backends (respawned when they exit,
 * like `npm start`), one or two gateways (two share a private redis-server), and runs `session-gateway loadtest`'s
 * engine (gateway/loadtest/) with the demo's own workload — each user logs in, increments its counter, saves a
 * draft and reads both back, checking that nothing went backwards — while the rolling restart runs in the middle.
 * Exits 1 on any failed request, any broken session, a failed rollout, or a backend still on its old pid.
 */

const USAGE = `usage: loadtest-rolling [--sessions N] [--duration S] [--gateways N] [--backends N] [--think MS] [--redis] [--json] [--out DIR]
  --sessions N   virtual users, each with its own session (default 50)
  --duration S   minimum seconds of load; the load also runs until 2 s after the rollout ends (default 15)
  --gateways N   gateway processes sharing one private redis-server; each user goes through all in turn (default 1)
  --backends N   demo backends to restart (default 3)
  --think MS     pause between a user's requests (default 10)
  --redis        use Redis even with one gateway (default: the embedded store)
  --json         print the report (with the backends' pids) as one JSON line at the end
  --out DIR      also write report.md, report.json and timeline.svg there
`;

function options(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      sessions: { type: 'string', default: '50' },
      duration: { type: 'string', default: '15' },
      gateways: { type: 'string', default: '1' },
      backends: { type: 'string', default: '3' },
      think: { type: 'string', default: '10' },
      redis: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const n = { sessions: Number(values.sessions), durationS: Number(values.duration), gateways: Number(values.gateways), backends: Number(values.backends), thinkMs: Number(values.think) };
  const valid = Object.values(n).every((v) => Number.isFinite(v) && v >= 0) && n.sessions >= 1 && n.gateways >= 1 && n.backends >= 2;
  return { ...n, valid, redis: values.redis, json: values.json, out: values.out, help: values.help };
}

async function main(argv: string[]): Promise<number> {
  const o = options(argv);
  if (o.help || !o.valid) {
    (o.help ? process.stdout : process.stderr).write(USAGE);
    return o.help ? 0 : 2;
  }
  const progress = new LoadProgress(process.stderr);
  // Checks every second: a restarted backend is readmitted after 2 fresh successes, so the run stays short.
  const fleet = new Fleet({ backends: o.backends, gateways: o.gateways, redis: o.redis, serverExtra: 'set $health_check_interval 1s; set $slow_start 2s;' });
  try {
    progress.line(`starting ${o.backends} demo backends, ${o.gateways} gateway(s)${o.redis || o.gateways > 1 ? ' and a private redis-server' : ' (embedded store)'}…`);
    await fleet.start();
    const pidsBefore = fleet.backendPids();
    const report = await runLoadtest({
      targets: fleet.gateways.map((g) => g.url),
      client: new AdminClient({ url: fleet.gateways[0]!.adminUrl, token: null }),
      sessions: o.sessions,
      durationMs: o.durationS * 1000,
      connections: o.sessions,
      rate: null,
      amount: null,
      timeoutMs: 30_000,
      thinkMs: o.thinkMs,
      scenario: DEMO_SCENARIO,
      scenarioName: 'the demo: login, counter, draft, whoami',
      login: { kind: 'login', request: DEMO_SCENARIO.login!, cookieName: 'gsid' },
      principalPrefix: 'user-',
      batch: 'none',
      // The restart script finds the demo's pid files through SESSION_GATEWAY_DEMO_DIR.
      rolling: { exec: `SESSION_GATEWAY_DEMO_DIR='${fleet.dir}' ${fleet.restartExec()}`, drainTimeoutMs: 15_000, readyTimeoutMs: 20_000, settleMs: 1_000 },
      samplePerSecond: 10,
      command: ['npm run loadtest-rolling --', ...argv].join(' '),
      check: demoCheck,
    }, progress);
    const pidsAfter = fleet.backendPids();
    const notRestarted = Object.keys(pidsBefore).filter((name) => pidsAfter[name] === null || pidsAfter[name] === pidsBefore[name]);
    const pass = report.pass && notRestarted.length === 0;
    const files = o.out ? writeLoadtestReport(report, resolve(o.out)) : null;
    const pids = `  pids       ${Object.keys(pidsBefore).map((name) => `${name} ${pidsBefore[name]}→${pidsAfter[name]}`).join(', ')}${notRestarted.length ? `  NOT RESTARTED: ${notRestarted.join(', ')}` : ''}`;
    process.stdout.write(`${[...summaryLines(report, files?.markdown ?? null), pids, ...report.samples.map((s) => `  sample: ${s}`), pass ? 'RESULT: PASS (no failed request, no lost session)' : 'RESULT: FAIL'].join('\n')}\n`);
    if (o.json) process.stdout.write(`${JSON.stringify({ ...report, pass, pidsBefore, pidsAfter, notRestarted })}\n`);
    return pass ? 0 : 1;
  } catch (err) {
    process.stderr.write(`loadtest-rolling: ${(err as Error).stack ?? String(err)}\n`);
    for (const g of fleet.gateways) process.stderr.write(`--- ${g.process.name}\n${g.process.tail()}\n`);
    return 1;
  } finally {
    await fleet.stop();
  }
}

process.exitCode = await main(process.argv.slice(2));
