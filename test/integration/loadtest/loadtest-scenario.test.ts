import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LoadtestReport } from '../../../gateway/loadtest/report-types.js';
import { request } from 'undici';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { gatewayCli } from '../../helpers/paths.js';
import { waitFor } from '../../helpers/wait-for.js';
import { lastJson, runCli } from '../rollout/cli-run.js';

const TOKEN = 'loadtest-scenario-token-0123456789abcdef';

const scenario = (missingExpects: number) => `# three weighted requests, 5:3:2
requests:
  - name: whoami
    path: /api/whoami
    weight: 5
  - name: counter
    method: POST
    path: /api/counter
    weight: 3
    expect: [200]
  - name: missing
    path: /no-such-page?user={user}
    weight: 2
    expect: ${missingExpects}
`;

/**
 * Issue 14, "done when": a scenario file of three weighted requests. The mix follows the weights (smooth weighted
 * round robin, so within a request or two of the exact shares), each request's statuses are counted, and a status
 * the scenario does not expect is a failed request and a non-zero exit.
 */
describe('loadtest --scenario with three weighted requests', () => {
  let backend: DemoBackend;
  let gateway: GatewayUnderTest;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sg-loadtest-scenario-'));
    backend = await startDemoBackend();
    gateway = await startGateway({ backends: [backend.name], env: { ADMIN_TOKEN: TOKEN }, serverExtra: 'set $session_create_rate off;' });
  });

  after(async () => {
    await gateway?.process.stop();
    await backend?.process.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(file: string, out: string): Promise<{ code: number | null; report: LoadtestReport }> {
    const r = await runCli(['loadtest', '--target', gateway.url, '--admin', gateway.adminUrl, '--token', TOKEN, '--sessions', '6', '--requests', '200', '--scenario', file, '--out', join(dir, out), '--json']);
    return { code: r.code, report: lastJson<LoadtestReport>(r) };
  }

  it('counts per request follow the weights; the expected statuses pass', { timeout: 60_000 }, async () => {
    const file = join(dir, 'three.yaml');
    writeFileSync(file, scenario(404));
    const { code, report } = await run(file, 'ok');
    assert.deepEqual(report.verdict, [], JSON.stringify(report.samples));
    assert.equal(code, 0);
    const { whoami, counter, missing } = report.perRequest;
    // 200 requests are 20 whole turns of the 5:3:2 round robin: exactly the weights.
    assert.equal(report.totals.requests, 200);
    assert.deepEqual([whoami!.count, counter!.count, missing!.count], [100, 60, 40]);
    for (const counts of [whoami!, counter!, missing!]) assert.equal(counts.ok, counts.count);
    assert.deepEqual(whoami!.statuses, { 200: whoami!.count });
    assert.deepEqual(counter!.statuses, { 200: counter!.count });
    assert.deepEqual(missing!.statuses, { 404: missing!.count });
    assert.equal(report.sessions.broken, 0);
    assert.deepEqual(report.settings.requests.map((r) => [r.name, r.method, r.weight, r.expect]), [['whoami', 'GET', 5, null], ['counter', 'POST', 3, [200]], ['missing', 'GET', 2, [404]]]);
  });

  it('a status the scenario does not expect fails those requests and the run (exit 1)', { timeout: 60_000 }, async () => {
    const file = join(dir, 'wrong.yaml');
    writeFileSync(file, scenario(200));
    const { code, report } = await run(file, 'wrong');
    assert.equal(code, 1);
    assert.equal(report.pass, false);
    const { whoami, missing } = report.perRequest;
    assert.ok(missing!.count > 0);
    assert.deepEqual(missing!.failed, { status: missing!.count, socket: 0, timeout: 0 });
    assert.deepEqual(missing!.statuses, { 404: missing!.count });
    assert.equal(whoami!.failed.status, 0);
    assert.equal(report.totals.failed.status, missing!.count);
    assert.match(report.verdict[0]!, new RegExp(`^${missing!.count} request\\(s\\) failed: ${missing!.count} unexpected status`));
  });

  it('a session ended by an admin during the load counts as broken (its cookie cleared, or unknown to the admin API)', { timeout: 60_000 }, async () => {
    const child = runCli(['loadtest', '--target', gateway.url, '--admin', gateway.adminUrl, '--token', TOKEN, '--sessions', '4', '--duration', '3', '--principal', 'lt-kill-', '--out', join(dir, 'kill'), '--json']);
    // Once the users are minted, end one of them (force logout) while the load runs.
    await waitFor(async () => {
      const res = await request(`${gateway.adminUrl}/api/sessions?principal=lt-kill-2`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
      return res.statusCode === 200 && ((await res.body.json()) as { count: number }).count === 1;
    }, { timeoutMs: 20_000, what: 'a minted session of lt-kill-2 to end' });
    const r = await child;
    const report = lastJson<LoadtestReport>(r);
    assert.equal(r.code, 1);
    assert.equal(report.sessions.broken, 1, JSON.stringify(report.sessions.examples));
    const [broken] = report.sessions.examples;
    assert.equal(broken!.principal, 'lt-kill-2');
    assert.ok(['cookie-cleared', 'unknown-to-gateway'].includes(broken!.reason), broken!.reason);
    assert.match(report.verdict.join('\n'), /1 session\(s\) broke/);
    assert.deepEqual(report.sessions.cleanup, { removed: 3, gone: 1 });
  });

  it('Ctrl-C ends the load early, yet the sessions are checked, removed and the report written (exit 1)', { timeout: 60_000 }, async () => {
    const out = join(dir, 'interrupted');
    const child = spawn(process.execPath, [gatewayCli, 'loadtest', '--target', gateway.url, '--admin', gateway.adminUrl, '--token', TOKEN, '--sessions', '3', '--duration', '60', '--out', out, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    await waitFor(() => stderr.includes('load: 3 user(s)'), { timeoutMs: 20_000, what: 'the load to start' });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    const report = lastJson<LoadtestReport>({ code, stdout, stderr });
    assert.equal(code, 1, stderr);
    assert.match(report.verdict[0]!, /^interrupted after \d+\.\d s/);
    assert.ok(report.totals.durationS < 30, `ran ${report.totals.durationS} s`);
    assert.deepEqual(report.sessions.cleanup, { removed: 3, gone: 0 });
    assert.ok(existsSync(join(out, 'report.md')));
  });

  it('a scenario with several mistakes is refused with every one at its line (exit 2)', { timeout: 30_000 }, async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'requests:\n  - path: /a\n    weight: 0\n  - method: GET\n  - path: /b\n    expect: 700\n    colour: red\n');
    const r = await runCli(['loadtest', '--target', gateway.url, '--scenario', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.yaml:3: weight must be a whole number/);
    assert.match(r.stderr, /bad\.yaml:4: path is required/);
    assert.match(r.stderr, /bad\.yaml:6: expect must be a status/);
    assert.match(r.stderr, /bad\.yaml:7: unknown key "colour"/);
  });
});
