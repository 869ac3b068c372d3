import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FailoverRig, IncrementLoad } from '../../helpers/increment-load.js';
import { TestCluster } from '../../helpers/redis-cluster.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * Issue 9, "failover without lost acknowledged writes", on a real 3-master + 3-replica Cluster under a logged-in
 * increment load with `$session_wait_replicas 1`: first a planned switch (`CLUSTER FAILOVER` on a replica), then a
 * master killed (SIGKILL) — one cluster and one gateway for both, the planned switch on a shard the kill leaves
 * alone. Each time every increment answered 200 is still there, no 503 was applied, and the users of the switched
 * slots are served again once the Cluster has failed over.
 */
describe('Cluster: a planned failover and a master killed under load lose no acknowledged write', () => {
  let cluster: TestCluster;
  let rig: FailoverRig;

  before(async () => {
    cluster = await TestCluster.start({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1_000 });
    rig = await FailoverRig.start(cluster.url);
  });
  after(async () => {
    await rig?.close();
    await cluster?.close();
  });

  it('CLUSTER FAILOVER on a replica: every session keeps at least its answered increments, and is served again', async (t) => {
    const load = new IncrementLoad(rig.gateway.url, 'planned-user');
    try {
      await load.start(24);
      await waitFor(() => load.applied >= 200, { what: 'the load to get going', timeoutMs: 60_000 });
      const switched = cluster.nodes.filter((n) => n.startedAsMaster)[1]!;
      await cluster.failover(switched.port);
      load.markFailover();
      // The old master now replicates the new one: all three shards have a replica again.
      await cluster.waitHealthy(3, 60_000);
      await load.servedAgain(2, 60_000, () => rig.lastWarnings());
      await load.stop();
      t.diagnostic(`answers during the run: ${JSON.stringify(load.statuses)}; unreplicated commits answered: ${rig.logged('session.commit_unreplicated')}`);
      assert.deepEqual(await load.violations(), []);
      assert.ok(load.applied > 200, 'the load ran');
    } finally {
      await load.close();
    }
  });

  it('kill -9 of a master: every session keeps at least its answered increments, and is served again', async (t) => {
    const { load } = rig;
    await load.start(24);
    await waitFor(() => load.applied >= 200, { what: 'the load to get going', timeoutMs: 60_000 });
    // A master the planned switch left alone (it started as one and still is).
    const victim = cluster.nodes.find((n) => n.startedAsMaster)!;
    await cluster.kill(victim.port);
    // Its replica is promoted; the other two masters keep theirs.
    await cluster.waitHealthy(2, 60_000);
    load.markFailover();
    await load.servedAgain(2, 60_000, () => rig.lastWarnings());
    await load.stop();
    t.diagnostic(`answers during the run: ${JSON.stringify(load.statuses)}`);
    assert.deepEqual(await load.violations(), []);
  });
});
