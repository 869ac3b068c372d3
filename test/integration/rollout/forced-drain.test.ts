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

/** Longest request the demo backend holds (/api/slow's limit): it outlasts the test, which ends it by aborting. */
const HELD_MS = 120_000;

describe('a drain that does not finish within the drain timeout', () => {
  let fleet: Fleet;
  const clients = new AbortController();

  before(async () => {
    // A restarted backend cuts the held request after 500 ms instead of waiting for it (the demo's graceful stop).
    fleet = new Fleet({ backends: 2, gateways: 1, redis: false, serverExtra: 'set $health_check_interval 500ms;', backendEnv: { STOP_TIMEOUT_MS: '500' } });
    await fleet.start();
  });

  after(async () => {
    clients.abort();
    await fleet?.stop();
  });

  it('is forced at the timeout and reported as such; the rollout goes on', { timeout: 90_000 }, async () => {
    // One request held on each backend (round robin) for longer than the whole rollout, so each drain can only end
    // by its timeout however slowly this machine starts the CLI. (A request cut by a restart is retried on the
    // other backend; it is still held there.)
    const held = [0, 1].map(() =>
      request(`${fleet.gateways[0]!.url}/api/slow?ms=${HELD_MS}`, { signal: clients.signal }).then(
        async (r) => {
          await r.body.dump();
          return r.statusCode;
        },
        (err: Error) => err.message,
      ),
    );
    await waitFor(async () => {
      const res = await request(`${fleet.gateways[0]!.adminUrl}/api/backends`);
      const report = (await res.body.json()) as { backends: Array<{ inFlight: number }> };
      return report.backends.every((b) => b.inFlight === 1);
    }, { what: 'a held request on each backend' });
    const run = await runCli(['rolling-restart', '--admin', fleet.gateways[0]!.adminUrl, '--exec', fleet.restartExec(), '--drain-timeout', '1', '--settle', '0', '--json'], fleet.env());
    assert.equal(run.code, 0, run.stderr);
    const result = lastJson<Result>(run);
    assert.equal(result.ok, true);
    assert.equal(result.backends[0]!.forced, true, run.stderr);
    assert.equal(result.backends[0]!.leftInFlight, 1);
    assert.equal(result.backends[1]!.forced, true, run.stderr);
    assert.match(run.stderr, /FORCED/);
    clients.abort();
    await Promise.all(held);
  });
});
