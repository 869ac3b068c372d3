import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import type { LoadtestReport } from '../../../gateway/loadtest/report-types.js';
import { Fleet } from '../../../scripts/rolling/fleet.js';
import { buildRoot } from '../../helpers/paths.js';
import { lastJson, runCli } from '../rollout/cli-run.js';

const TOKEN = 'loadtest-admin-token-0123456789abcdef';
// Health checks every 500 ms so a restarted backend is back quickly; the load is a few seconds.
const SERVER_EXTRA = 'set $health_check_interval 500ms; set $slow_start 1s;';
const ROLLOUT = ['--rolling-restart', '--drain-timeout', '10', '--ready-timeout', '20', '--settle', '0.5'];

function loadtest(fleet: Fleet, out: string, extra: string[]): ReturnType<typeof runCli> {
  const g = fleet.gateways[0]!;
  return runCli(['loadtest', '--target', g.url, '--admin', g.adminUrl, '--token', TOKEN, '--out', out, '--json', ...extra], fleet.env(), 120_000);
}

/**
 * Issue 14, "done when": `session-gateway loadtest --rolling-restart` against a gateway in front of demo backends
 * that the test starts (not the load test): no failed request, no broken session, and a report with the rollout's
 * bands; minted sessions are removed in one call at the end.
 */
describe('loadtest --rolling-restart against the demo backends', () => {
  let fleet: Fleet;
  let out: string;

  before(async () => {
    out = mkdtempSync(join(tmpdir(), 'sg-loadtest-'));
    fleet = new Fleet({ backends: 3, gateways: 1, redis: false, serverExtra: SERVER_EXTRA, adminToken: TOKEN });
    await fleet.start();
  });

  after(async () => {
    await fleet?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  it('20 minted sessions: 0 failed, 0 broken, every backend restarted, report with bands', { timeout: 150_000 }, async () => {
    const pidsBefore = fleet.backendPids();
    const run = await loadtest(fleet, out, ['--sessions', '20', '--duration', '3', '--exec', fleet.restartExec(), ...ROLLOUT]);
    process.stderr.write(run.stderr);
    const report = lastJson<LoadtestReport>(run);
    assert.deepEqual(report.verdict, [], JSON.stringify(report.samples));
    assert.equal(run.code, 0);
    assert.equal(report.pass, true);
    assert.ok(report.totals.requests > 50, `only ${report.totals.requests} requests`);
    assert.deepEqual(report.totals.failed, { status: 0, socket: 0, timeout: 0 });
    assert.equal(report.totals.ok, report.totals.requests);
    assert.equal(report.settings.login, 'mint');
    assert.equal(report.sessions.broken, 0);
    // Every session was looked up after the load (and some during it), none was unanswered.
    assert.ok(report.sessions.checks >= 20, `checks ${report.sessions.checks}`);
    assert.equal(report.sessions.checkErrors, 0);
    assert.deepEqual(report.sessions.cleanup, { removed: 20, gone: 0 });
    // The rollout: each backend drained then restarted, in order, inside the load's timeline.
    assert.equal(report.rollout?.ok, true);
    const names = fleet.backends.map((b) => b.name);
    assert.deepEqual(report.rollout!.bands.map((b) => `${b.kind} ${b.backend}`), names.flatMap((n) => [`draining ${n}`, `restarting ${n}`]));
    for (const band of report.rollout!.bands) assert.ok(band.fromS <= band.toS && band.toS <= report.totals.durationS + 1, JSON.stringify(band));
    const pidsAfter = fleet.backendPids();
    for (const name of names) assert.notEqual(pidsAfter[name], pidsBefore[name], `${name} was not restarted`);
    // The report folder: Markdown linking the picture, the picture naming each band's backend, the JSON.
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    assert.match(md, /^# Load test: PASS/);
    assert.match(md, /!\[timeline\]\(timeline\.svg\)/);
    const svg = readFileSync(join(out, 'timeline.svg'), 'utf8');
    for (const name of names) assert.ok(svg.includes(`drain ${name}`) && svg.includes(`restart ${name}`), `band labels for ${name}`);
    assert.equal((JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as LoadtestReport).totals.requests, report.totals.requests);
    // Minted sessions are gone: the batch was removed in one call.
    const minted = await request(`${fleet.gateways[0]!.adminUrl}/api/sessions/minted`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.deepEqual(((await minted.body.json()) as { batches: unknown[] }).batches, []);
  });
});

/**
 * The same against an app that keeps its own login in memory (test/helpers/memory-login-app.ts) behind the
 * gateway, one primary and one backup: draining the primary sends its users to the backup, which does not know
 * them, and restarting it forgets them; the app answers 302 to /login, the load test counts those as failed
 * expectations and exits 1. The seconds before the rollout began are clean: the failures are the rollout's.
 */
describe('loadtest --rolling-restart against an app with its own in-memory login', () => {
  let fleet: Fleet;
  let out: string;
  let scenario: string;

  before(async () => {
    out = mkdtempSync(join(tmpdir(), 'sg-loadtest-'));
    scenario = join(out, 'account.yaml');
    writeFileSync(scenario, 'requests:\n  - name: account\n    path: /account\n    expect: 200\n');
    const backendScript = join(buildRoot, 'test', 'helpers', 'memory-login-app.js');
    fleet = new Fleet({ backends: 2, gateways: 1, redis: false, serverExtra: SERVER_EXTRA, adminToken: TOKEN, backendScript, backupFrom: 1 });
    await fleet.start();
  });

  after(async () => {
    await fleet?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  it('its users are logged out by the restart: failed expectations (302), exit 1', { timeout: 150_000 }, async () => {
    const run = await loadtest(fleet, join(out, 'report'), ['--sessions', '10', '--duration', '3', '--scenario', scenario, '--login', 'POST /login user={user}', '--cookie-name', 'app_sid', '--exec', fleet.restartExec(), ...ROLLOUT]);
    process.stderr.write(run.stderr);
    const report = lastJson<LoadtestReport>(run);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(report.pass, false);
    assert.equal(report.settings.login, 'login');
    assert.equal(report.rollout?.ok, true, JSON.stringify(report.rollout?.error));
    const account = report.perRequest.account!;
    assert.ok(account.failed.status > 0, JSON.stringify(account));
    assert.ok((account.statuses['302'] ?? 0) > 0, JSON.stringify(account.statuses));
    assert.equal(account.failed.status, account.statuses['302']);
    assert.match(report.verdict.join('\n'), /request\(s\) failed: \d+ unexpected status/);
    const firstBand = Math.floor(report.rollout!.bands[0]!.fromS);
    const before = report.timeline.filter((s) => s.t < firstBand);
    assert.ok(before.some((s) => s.requests > 0) && before.every((s) => s.failed.status === 0), JSON.stringify(before));
    assert.ok(existsSync(join(out, 'report', 'timeline.svg')));
    assert.match(readFileSync(join(out, 'report', 'report.md'), 'utf8'), /^# Load test: FAIL/);
  });
});
