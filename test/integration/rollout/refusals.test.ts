import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { Fleet } from '../../../scripts/rolling/fleet.js';
import { waitFor } from '../../helpers/wait-for.js';
import { lastJson, runCli } from './cli-run.js';

interface Status {
  rolloutLock: string | null;
  backends: Array<{ name: string; state: string; health: string; cluster: { healthy: boolean } }>;
}

/** Refusals of docs/architecture.md §7, with two gateways sharing one Redis (the lock and the states are shared). */
describe('rollout refusals (two gateways, one Redis)', () => {
  let fleet: Fleet;

  before(async () => {
    fleet = new Fleet({ backends: 3, gateways: 2, redis: true, serverExtra: 'set $health_check_interval 500ms;' });
    await fleet.start();
  });

  after(async () => {
    await fleet?.stop();
  });

  const status = async (i = 0) => lastJson<Status>(await runCli(['status', '--json', '--admin', fleet.gateways[i]!.adminUrl]));

  it('refuses to drain the last serving backend, on either gateway', async () => {
    const [a, b, c] = fleet.backends;
    assert.equal((await runCli(['drain', a!.name, '--admin', fleet.gateways[0]!.adminUrl])).code, 0);
    assert.equal((await runCli(['drain', b!.name, '--admin', fleet.gateways[1]!.adminUrl])).code, 0);
    // The second gateway must have applied both drains before it can judge "last serving".
    await waitFor(async () => (await status(1)).backends.filter((x) => x.state === 'DRAINING').length === 2, { what: 'drains applied on gateway 2' });
    const refused = await runCli(['drain', c!.name, '--admin', fleet.gateways[1]!.adminUrl]);
    assert.equal(refused.code, 4, 'a safety refusal exits 4 (README: exit codes)');
    assert.match(refused.stderr, /SG_LAST_SERVING_BACKEND/);
    const res = await request(`${fleet.gateways[0]!.url}/api/whoami`);
    await res.body.dump();
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-backend'], c!.name);
    for (const x of [a!, b!]) assert.equal((await runCli(['ready', x.name, '--admin', fleet.gateways[0]!.adminUrl])).code, 0);
    await waitFor(async () => (await status(1)).backends.every((x) => x.state === 'READY'), { what: 'all READY again' });
  });

  it('refuses a second rollout while one runs, whichever gateway it talks to', { timeout: 90_000 }, async () => {
    const exec = fleet.restartExec();
    const first = runCli(['rolling-restart', '--admin', fleet.gateways[0]!.adminUrl, '--exec', exec, '--settle', '0', '--json'], fleet.env());
    await waitFor(async () => (await status(1)).rolloutLock !== null, { what: 'the first rollout to take the lock', timeoutMs: 20_000 });
    const second = await runCli(['rolling-restart', '--admin', fleet.gateways[1]!.adminUrl, '--exec', exec, '--json'], fleet.env());
    assert.equal(second.code, 4, second.stderr);
    const refusal = lastJson<{ ok: boolean; error: { code: string; outcome: string } }>(second);
    assert.equal(refusal.error.code, 'SG_ROLLOUT_LOCKED');
    assert.equal(refusal.error.outcome, 'refused');
    const done = await first;
    assert.equal(done.code, 0, done.stderr);
    // Progress (on stderr with --json) shows each restart command as it ran, placeholders filled in.
    for (const b of fleet.backends) assert.ok(done.stderr.includes(`running: ${exec.replace('{port}', String(b.port))}`), done.stderr);
    assert.doesNotMatch(done.stderr, /\{port\}/);
    assert.equal((await status(0)).rolloutLock, null, 'the lock is released');
  });

  it('refuses to start while a backend is unhealthy, and changes nothing', async () => {
    const victim = fleet.backends[2]!;
    await victim.process.stop();
    await waitFor(async () => (await status(0)).backends.find((b) => b.name === victim.name)?.cluster.healthy === false, { what: 'the stopped backend to be seen unhealthy' });
    const run = await runCli(['rolling-restart', '--admin', fleet.gateways[0]!.adminUrl, '--exec', fleet.restartExec(), '--json'], fleet.env());
    assert.equal(run.code, 4, run.stderr);
    const result = lastJson<{ error: { code: string; message: string } }>(run);
    assert.equal(result.error.code, 'SG_ROLLOUT_UNSAFE');
    assert.match(result.error.message, new RegExp(victim.name.replace(/\./g, '\\.')));
    assert.ok((await status(0)).backends.every((b) => b.state === 'READY'));
  });
});
