import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { Fleet } from '../../../scripts/rolling/fleet.js';
import { waitFor } from '../../helpers/wait-for.js';
import { lastJson, runCli } from './cli-run.js';

interface Result {
  ok: boolean;
  backends: Array<{ name: string; forced: boolean; leftInFlight: number }>;
}

describe('a drain that does not finish within the drain timeout', () => {
  let fleet: Fleet;

  before(async () => {
    fleet = new Fleet({ backends: 2, gateways: 1, redis: false, serverExtra: 'set $health_check_interval 500ms;' });
    await fleet.start();
  });

  after(async () => {
    await fleet?.stop();
  });

  it('is forced at the timeout and reported as such; the rollout goes on', { timeout: 60_000 }, async () => {
    // One slow request on each backend (round robin), still running when the drain times out.
    const slow = [0, 1].map(() => request(`${fleet.gateways[0]!.url}/api/slow?ms=4000`).then(async (r) => {
      await r.body.dump();
      return r.statusCode;
    }, (err: Error) => err.message));
    await waitFor(async () => {
      const res = await request(`${fleet.gateways[0]!.adminUrl}/api/backends`);
      const report = (await res.body.json()) as { backends: Array<{ inFlight: number }> };
      return report.backends.every((b) => b.inFlight === 1);
    }, { what: 'a slow request on each backend' });
    const run = await runCli(['rolling-restart', '--admin', fleet.gateways[0]!.adminUrl, '--exec', fleet.restartExec(), '--drain-timeout', '1', '--settle', '0', '--json'], fleet.env());
    assert.equal(run.code, 0, run.stderr);
    const result = lastJson<Result>(run);
    assert.equal(result.ok, true);
    assert.equal(result.backends[0]!.forced, true);
    assert.equal(result.backends[0]!.leftInFlight, 1);
    assert.match(run.stderr, /FORCED/);
    await Promise.all(slow);
  });
});
