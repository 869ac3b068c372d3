import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { Fleet } from '../../../scripts/rolling/fleet.js';
import { lastJson, runCli } from './cli-run.js';

interface Status {
  backends: Array<{ name: string; state: string; serving: boolean }>;
}

describe('rollout abort: a restart that leaves its backend down', () => {
  let fleet: Fleet;
  let hung: number | null = null;

  before(async () => {
    fleet = new Fleet({ backends: 3, gateways: 1, redis: false, serverExtra: 'set $health_check_interval 500ms;' });
    await fleet.start();
  });

  after(async () => {
    if (hung !== null) process.kill(hung, 'SIGCONT');
    await fleet?.stop();
  });

  it('exits non-zero, leaves that backend in MAINT and the others untouched and serving', { timeout: 120_000 }, async () => {
    const [first, second, third] = fleet.backends;
    const pidsBefore = fleet.backendPids();
    hung = second!.process.pid;
    // The second backend's "restart" freezes it (SIGSTOP): it never answers its health checks again.
    const exec = `if [ {port} = ${second!.port} ]; then kill -STOP $(cat ${join(fleet.dir, '{port}.pid')}); else ${fleet.restartExec()}; fi`;
    // The ready timeout is also the first backend's, which must pass it: its restart took 2.2 s to be ready (of 4 s
    // then) on the loaded machine, and a slower one must not abort the rollout there. The frozen one waits it out.
    const run = await runCli(['rolling-restart', '--admin', fleet.gateways[0]!.adminUrl, '--exec', exec, '--ready-timeout', '12', '--settle', '0', '--json'], fleet.env());
    assert.equal(run.code, 1, run.stderr);
    const result = lastJson<{ ok: boolean; backends: Array<{ name: string }>; error: { code: string; outcome: string; backend: string } }>(run);
    assert.equal(result.ok, false);
    assert.equal(result.error.code, 'SG_NOT_READY');
    assert.equal(result.error.outcome, 'aborted');
    assert.equal(result.error.backend, second!.name);
    assert.deepEqual(result.backends.map((b) => b.name), [first!.name], 'the first backend was restarted before the abort');

    const status = lastJson<Status>(await runCli(['status', '--json', '--admin', fleet.gateways[0]!.adminUrl]));
    const state = Object.fromEntries(status.backends.map((b) => [b.name, b.state]));
    assert.deepEqual(state, { [first!.name]: 'READY', [second!.name]: 'MAINT', [third!.name]: 'READY' });
    assert.equal(fleet.backendPids()[third!.name], pidsBefore[third!.name], 'the third backend was not touched');
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const res = await request(`${fleet.gateways[0]!.url}/api/whoami`);
      await res.body.dump();
      assert.equal(res.statusCode, 200);
      seen.add(String(res.headers['x-backend']));
    }
    assert.ok(!seen.has(second!.name), 'no request goes to the MAINT backend');
  });
});
