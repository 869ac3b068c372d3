import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { FailoverRig } from '../../helpers/increment-load.js';
import { TestRedis } from '../../helpers/redis-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { TestSentinel } from '../session/redis-topologies.js';

/**
 * Issue 9, "failover without lost acknowledged writes", through a real Sentinel: a master, its replica and a
 * sentinel; a logged-in increment load with `$session_wait_replicas 1`; then a planned `SENTINEL FAILOVER` or a
 * SIGKILL of the master. After the switch every increment answered 200 is still there and no 503 was applied —
 * the gateway must follow the switch and never acknowledge a write it left on the demoted master.
 */
for (const kind of ['SENTINEL FAILOVER', 'kill -9 of the master'] as const) {
  describe(`Sentinel: ${kind} under load loses no acknowledged write`, () => {
    let master: TestRedis;
    let replica: TestRedis;
    let sentinel: TestSentinel;
    let rig: FailoverRig;

    before(async () => {
      master = await TestRedis.start();
      replica = await TestRedis.start({ replicaOf: master.port });
      sentinel = await TestSentinel.start(master.port, { downAfterMs: 1_000, replicas: 1 });
      rig = await FailoverRig.start(sentinel.url);
    });
    after(async () => {
      await rig?.close();
      await sentinel?.close();
      await replica?.close();
      await master?.close();
    });

    it('every session keeps at least its answered increments, and is served again after the switch', async (t: TestContext) => {
      const { load } = rig;
      await load.start(16);
      await waitFor(() => load.applied >= 200, { what: 'the load to get going', timeoutMs: 60_000 });
      if (kind === 'SENTINEL FAILOVER') await sentinel.failover();
      else await master.stop();
      await waitFor(async () => (await sentinel.masterPort()) === replica.port, { what: 'the sentinel to name the replica master', timeoutMs: 60_000 });
      load.markFailover();
      await load.servedAgain(2, 60_000, () => rig.lastWarnings());
      await load.stop();
      if (kind === 'SENTINEL FAILOVER') {
        // The demoted master drops what it took after the switch when it resyncs from the new one: only then are the
        // counters final (whoever the gateway reads from).
        await waitFor(async () => {
          const info = await master.client().info('replication');
          return /role:slave/.test(info) && info.includes(`master_port:${replica.port}`) && /master_link_status:up/.test(info);
        }, { what: 'the old master to be a synced replica of the new one', timeoutMs: 60_000 });
      }
      t.diagnostic(`answers during the run: ${JSON.stringify(load.statuses)}; unreplicated commits answered: ${rig.logged('session.commit_unreplicated')}; `
        + `commits found on the demoted master: ${rig.logged('session.commit_on_demoted_master')}`);
      assert.deepEqual(await load.violations(), []);
    });
  });
}
