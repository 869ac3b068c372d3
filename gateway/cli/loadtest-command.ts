import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { LoadtestSetupError, LoadtestUsageError } from '../loadtest/loadtest-errors.js';
import type { LoadtestReport } from '../loadtest/report-types.js';
import type { LoadtestOptions } from '../loadtest/run-loadtest.js';
import { DEFAULT_SCENARIO, parseLoginFlag, parseScenario, type Scenario } from '../loadtest/scenario.js';
import { runId, type LoginMode } from '../loadtest/sessions-setup.js';
import { ADMIN_OPTIONS, adminClientFrom, parseArgs } from './admin-args.js';
import type { CliCommand } from './commands.js';
import { UsageError } from './usage-error.js';

const USAGE = `usage: session-gateway loadtest --target URL [--sessions N] [--duration S] [--rate R | --connections C]
                                [--scenario FILE] [--login "METHOD /path [body]" | --anonymous]
                                [--rolling-restart --exec CMD] [--out DIR] [--admin URL] [--token T] [--json]
  --target URL         the gateway to load (repeat it for several gateways: each user goes through all in turn)
  --sessions N         virtual users, each with its own cookie jar and logged-in session [10]
  --duration S         seconds of load (with --rolling-restart: until the rollout has ended + 2 s) [10]
  --requests N         stop after N requests instead of after the duration (not with --rolling-restart)
  --rate R             overall requests per second (default: as fast as the connections go)
  --connections C      requests in flight at most (each user has one at a time) [--sessions]
  --scenario FILE      JSON or YAML: requests with method, path, headers, body|json, weight, expect
                       (and optionally login); {user} is the user's principal [GET / expecting 2xx]
  --login SPEC         sign each user in with the app's own login request, e.g. "POST /login user={user}&pw=x"
                       (default: mint the sessions through the admin API: needs ADMIN_TOKEN on the gateway)
  --anonymous          no login: each user is a browser without a session
  --attributes JSON    initial attributes of minted sessions, e.g. '{"plan":"pro"}'
  --principal PREFIX   principals are PREFIX1 … PREFIXn [loadtest-<run id>-]
  --cookie-name NAME   the session cookie to watch with --login / --anonymous [gsid]
  --think MS           each user pauses MS milliseconds after each of its requests [0]
  --timeout S          an answer not complete (head and body) within S seconds is a timeout [10]
  --sample N           sessions looked up through the admin API each second during the load [10]
  --rolling-restart    run the rolling restart (as \`rolling-restart\`) while the load runs; needs --exec
  --exec CMD, --drain-timeout S, --ready-timeout S, --settle S   as for \`rolling-restart\`
  --out DIR            report folder: report.md, report.json, timeline.svg [./loadtest-report]
exit: 0 no failed request and no broken session · 1 some failed or broke, or the rollout failed · 2 usage
      · 3 admin API unreachable · 4 could not set up (minting refused, a login failed)
`;

const OPTIONS = {
  ...ADMIN_OPTIONS,
  target: { type: 'string', multiple: true },
  sessions: { type: 'string', default: '10' },
  duration: { type: 'string', default: '10' },
  rate: { type: 'string' },
  requests: { type: 'string' },
  connections: { type: 'string' },
  scenario: { type: 'string' },
  login: { type: 'string' },
  anonymous: { type: 'boolean', default: false },
  attributes: { type: 'string' },
  principal: { type: 'string' },
  'cookie-name': { type: 'string', default: 'gsid' },
  timeout: { type: 'string', default: '10' },
  think: { type: 'string', default: '0' },
  sample: { type: 'string', default: '10' },
  'rolling-restart': { type: 'boolean', default: false },
  exec: { type: 'string' },
  'drain-timeout': { type: 'string', default: '30' },
  'ready-timeout': { type: 'string', default: '60' },
  settle: { type: 'string', default: '2' },
  out: { type: 'string', default: 'loadtest-report' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; args: string[] }>>['values'];

function numberOf(values: Values, name: keyof Values, problems: string[], min: number, integer = false): number {
  const text = values[name];
  const n = Number(text);
  if (typeof text !== 'string' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    problems.push(`--${name} must be ${integer ? 'a whole number' : 'a number'} of at least ${min} (got ${JSON.stringify(text)})`);
    return min;
  }
  return n;
}

function scenarioOf(values: Values, problems: string[]): Scenario {
  if (!values.scenario) return DEFAULT_SCENARIO;
  try {
    return parseScenario(readFileSync(values.scenario, 'utf8'), values.scenario);
  } catch (err) {
    if (err instanceof LoadtestUsageError) problems.push(...err.problems);
    else problems.push(`--scenario ${values.scenario}: ${(err as Error).message}`);
    return DEFAULT_SCENARIO;
  }
}

function loginOf(values: Values, scenario: Scenario, problems: string[]): LoginMode {
  const cookieName = values['cookie-name'];
  const given = [values.login !== undefined, scenario.login !== null, values.anonymous].filter(Boolean).length;
  if (given > 1) problems.push('give one of --login, a login in the scenario file, or --anonymous');
  if (values.anonymous) return { kind: 'anonymous', cookieName };
  if (values.login !== undefined) {
    try {
      return { kind: 'login', request: parseLoginFlag(values.login), cookieName };
    } catch (err) {
      problems.push(...(err as LoadtestUsageError).problems);
    }
  }
  if (scenario.login) return { kind: 'login', request: scenario.login, cookieName };
  let attributes: Record<string, unknown> = {};
  try {
    attributes = values.attributes === undefined ? {} : (JSON.parse(values.attributes) as Record<string, unknown>);
    if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) throw new Error('not an object');
  } catch {
    problems.push(`--attributes must be a JSON object (got ${JSON.stringify(values.attributes)})`);
  }
  return { kind: 'mint', attributes };
}

function targetsOf(values: Values, problems: string[]): string[] {
  const targets = values.target ?? [];
  if (targets.length === 0) problems.push('--target URL is required (the gateway to load, e.g. http://127.0.0.1:8080)');
  for (const t of targets) {
    try {
      if (!/^https?:$/.test(new URL(t).protocol)) throw new Error('not http');
    } catch {
      problems.push(`--target ${JSON.stringify(t)} is not an http:// or https:// URL`);
    }
  }
  return targets.map((t) => t.replace(/\/+$/, ''));
}

/** Every flag checked at once: each problem is one line. */
export function optionsOf(args: string[]): { options: LoadtestOptions; json: boolean; out: string } {
  const { values } = parseArgs({ args, options: OPTIONS, allowPositionals: false });
  const problems: string[] = [];
  const targets = targetsOf(values, problems);
  const sessions = numberOf(values, 'sessions', problems, 1, true);
  const scenario = scenarioOf(values, problems);
  const login = loginOf(values, scenario, problems);
  const rolling = values['rolling-restart'];
  if (rolling && !values.exec) problems.push('--rolling-restart needs --exec CMD (how to restart one backend, as for rolling-restart)');
  if (!rolling && values.exec) problems.push('--exec is only used with --rolling-restart');
  if (rolling && values.requests !== undefined) problems.push('--requests ends the load by count: a rolling restart needs the load to last (use --duration)');
  const id = runId();
  const options: LoadtestOptions = {
    targets,
    client: adminClientFrom(values),
    sessions,
    durationMs: numberOf(values, 'duration', problems, 0.1) * 1000,
    connections: values.connections === undefined ? sessions : numberOf(values, 'connections', problems, 1, true),
    rate: values.rate === undefined ? null : numberOf(values, 'rate', problems, 0.1),
    amount: values.requests === undefined ? null : numberOf(values, 'requests', problems, 1, true),
    timeoutMs: numberOf(values, 'timeout', problems, 0.1) * 1000,
    thinkMs: numberOf(values, 'think', problems, 0),
    scenario,
    scenarioName: values.scenario ? basename(values.scenario) : 'default (GET / expecting 2xx)',
    login,
    principalPrefix: values.principal ?? `loadtest-${id}-`,
    batch: `loadtest-${id}`,
    rolling: rolling && values.exec
      ? { exec: values.exec, drainTimeoutMs: numberOf(values, 'drain-timeout', problems, 0) * 1000, readyTimeoutMs: numberOf(values, 'ready-timeout', problems, 0) * 1000, settleMs: numberOf(values, 'settle', problems, 0) * 1000 }
      : null,
    samplePerSecond: numberOf(values, 'sample', problems, 0, true),
    command: ['session-gateway', 'loadtest', ...args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))].join(' ').replace(/(--token)\s+\S+/g, '$1 ***'),
  };
  if (problems.length > 0) throw new LoadtestUsageError(problems);
  return { options, json: values.json, out: resolve(values.out) };
}

/** `loadtest` (docs/architecture.md §15): load a deployment with logged-in users and check that none is lost. */
export const loadtestCommand: CliCommand = {
  summary: 'loadtest --target URL: logged-in load with session-integrity checks, optionally during a rolling restart',
  usage: USAGE,
  async run(args) {
    let parsed;
    try {
      parsed = optionsOf(args);
    } catch (err) {
      // Every problem of the command line and the scenario file at once; cli/main.ts prints it and exits 2.
      if (!(err instanceof LoadtestUsageError)) throw err;
      throw new UsageError(err.problems.length === 1 ? err.problems[0]! : `${err.problems.length} problems:\n  ${err.problems.join('\n  ')}`);
    }
    // The load engine is imported when a load runs: `--help` and a usage error stay quick.
    const [{ LoadProgress }, { runLoadtest }, { writeLoadtestReport }, { summaryLines }] = await Promise.all([
      import('../loadtest/progress.js'), import('../loadtest/run-loadtest.js'), import('../loadtest/report-writer.js'), import('../loadtest/summary.js'),
    ]);
    const progress = new LoadProgress(process.stderr);
    // Ctrl-C ends the load but still checks, removes the minted sessions and writes the report; twice quits at once.
    const interrupt = new AbortController();
    const quit = () => process.exit(130);
    const onSigint = () => {
      progress.line('interrupted: ending the load (a rollout under way finishes), then checks, clean-up and the report; Ctrl-C again quits now');
      interrupt.abort();
      process.once('SIGINT', quit);
    };
    process.once('SIGINT', onSigint);
    try {
      const report = await runLoadtest({ ...parsed.options, signal: interrupt.signal }, progress);
      const files = writeLoadtestReport(report, parsed.out);
      if (parsed.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else process.stdout.write(`${summaryLines(report, files.markdown).join('\n')}\n`);
      return report.pass ? 0 : 1;
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (parsed.json) process.stdout.write(`${JSON.stringify({ pass: false, error: { code: e.code ?? 'SG_ERROR', message: e.message ?? String(err) } })}\n`);
      process.stderr.write(`session-gateway loadtest: ${e.message ?? String(err)} (${e.code ?? 'SG_ERROR'})\n`);
      if (e.code === 'SG_ADMIN_UNREACHABLE' || e.code === 'SG_NOT_ADMIN_API') return 3;
      if (err instanceof LoadtestSetupError) return 4;
      throw err;
    } finally {
      process.removeListener('SIGINT', onSigint);
      process.removeListener('SIGINT', quit);
    }
  },
};
