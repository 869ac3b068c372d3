import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { IncrementLoad } from '../../helpers/increment-load.js';
import { TestCluster } from '../../helpers/redis-cluster.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * Issue 9, "failover without lost acknowledged writes", on a real 3-master + 3-replica Cluster: a master is killed
 * (SIGKILL) under a logged-in increment load with `$session_wait_replicas 1`. Its replica takes over; every
 * increment answered 200 is still there, no 503 was applied, and the users of the dead master's slots are served
 * again once the Cluster has failed over.
 */
describe('Cluster: a master killed under load loses no acknowledged write', () => {
  let cluster: TestCluster;
  let backend: DemoBackend;
  let gateway: GatewayUnderTest;
  let load: IncrementLoad;

  before(async () => {
    cluster = await TestCluster.start({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1_000 });
    backend = await startDemoBackend();
    gateway = await startGateway({
      backends: [backend.name], redisUrl: cluster.url,
      serverExtra: 'set $session_wait_replicas 1; set $session_wait_timeout 500ms; set $session_create_rate off;',
    });
    load = new IncrementLoad(gateway.url);
  });
  after(async () => {
    await load?.close();
    await gateway?.process.stop();
    await backend?.process.stop();
    await cluster?.close();
  });

  it('kill -9 of a master: every session keeps at least its answered increments, and is served again', async (t) => {
    await load.start(24);
    await waitFor(() => load.applied >= 200, { what: 'the load to get going', timeoutMs: 60_000 });
    const victim = cluster.nodes.find((n) => n.startedAsMaster)!;
    await cluster.kill(victim.port);
    // Its replica is promoted; the other two masters keep theirs.
    await cluster.waitHealthy(2, 60_000);
    load.markFailover();
    await waitFor(() => load.users.every((u) => u.appliedSinceMark >= 2), { what: 'every user to be served again after the failover', timeoutMs: 60_000 })
      .catch((err: Error) => {
        const stuck = load.users.filter((u) => u.appliedSinceMark < 2).map((u) => u.user);
        const errors = gateway.process.records().filter((r) => (r.level as number) >= 40).slice(-5).map((r) => JSON.stringify(r).slice(0, 400));
        throw new Error(`${err.message}: ${stuck.join(', ')} not served; answers ${JSON.stringify(load.statuses)}; last warnings:\n${errors.join('\n')}`);
      });
    await load.stop();
    t.diagnostic(`answers during the run: ${JSON.stringify(load.statuses)}`);
    for (const u of load.users) {
      const stored = await load.storedCounter(u);
      assert.ok(stored >= u.applied, `${u.user}: ${u.applied} increments answered 200, but the store holds ${stored} (acknowledged writes lost)`);
      assert.ok(stored <= u.applied + u.unknown, `${u.user}: the store holds ${stored}, more than ${u.applied} applied + ${u.unknown} not known (a 503 was applied)`);
    }
  });
});
