import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import calculateSlot from 'cluster-key-slot';
import { bucketOfPrincipal } from '../../../gateway/session/key-placement.js';
import { bucketPrefix } from '../../../gateway/session/redis-keys.js';
import { FailoverRig } from '../../helpers/increment-load.js';
import { TestCluster } from '../../helpers/redis-cluster.js';
import { waitFor } from '../../helpers/wait-for.js';

type SlotRange = [number, number, [string, number, string], ...unknown[]];

/**
 * Resharding under load (MOVED and ASK): the slot holding logged-in users' sessions is migrated to another master
 * key by key, as `redis-cli --cluster reshard` does, while they increment. During the migration the keys of a
 * session's bucket are split between two nodes (scripts get ASK or TRYAGAIN); afterwards the old owner answers
 * MOVED. Every increment answered 200 is kept, none answered 503 was applied, and everyone is served after it.
 */
describe('Cluster: a slot migrated under load (MOVED/ASK) loses no acknowledged write', () => {
  let cluster: TestCluster;
  let rig: FailoverRig;

  before(async () => {
    cluster = await TestCluster.start({ masters: 3, replicasPerMaster: 1 });
    rig = await FailoverRig.start(cluster.url);
  });
  after(async () => {
    await rig?.close();
    await cluster?.close();
  });

  /** SETSLOT IMPORTING/MIGRATING, MIGRATE every key in small batches, then SETSLOT NODE on every master. */
  async function migrate(slot: number): Promise<number> {
    const slots = (await cluster.client(cluster.nodes[0]!.port).call('CLUSTER', 'SLOTS')) as SlotRange[];
    const owner = slots.find(([from, to]) => slot >= from && slot <= to)![2];
    const source = cluster.nodes.find((n) => n.port === owner[1])!;
    const target = cluster.nodes.find((n) => n.startedAsMaster && n.port !== source.port)!;
    const [src, dst] = [cluster.client(source.port), cluster.client(target.port)];
    await dst.call('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', source.id);
    await src.call('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', target.id);
    let moved = 0;
    for (;;) {
      const keys = (await src.call('CLUSTER', 'GETKEYSINSLOT', String(slot), '2')) as string[];
      if (keys.length === 0) break;
      moved += keys.length;
      await src.call('MIGRATE', '127.0.0.1', String(target.port), '', '0', '5000', 'KEYS', ...keys);
      // Let requests run against the half-moved slot between batches.
      await rig.load.moreApplied(5, 30_000).catch(() => {});
    }
    for (const node of cluster.nodes.filter((n) => n.startedAsMaster)) {
      await cluster.client(node.port).call('CLUSTER', 'SETSLOT', String(slot), 'NODE', target.id);
    }
    return moved;
  }

  it('the slot of busy sessions moves to another master while they increment', async (t) => {
    const { load } = rig;
    await load.start(12);
    await waitFor(() => load.applied >= 100, { what: 'the load to get going', timeoutMs: 60_000 });
    // The slot of the first user's bucket (sessions live in their principal's bucket, redis-keys.ts).
    const slot = calculateSlot(bucketPrefix(bucketOfPrincipal(load.users[0]!.user)));
    const moved = await migrate(slot);
    assert.ok(moved >= 2, `the slot held the user's session and its bucket's indexes (${moved} keys moved)`);
    load.markFailover();
    await load.servedAgain(2, 60_000, () => rig.lastWarnings());
    await load.stop();
    t.diagnostic(`answers during the run: ${JSON.stringify(load.statuses)}; keys moved: ${moved}`);
    assert.deepEqual(await load.violations(), []);
  });
});
