import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../../gateway/log.js';
import { bucketOfKey } from '../../../gateway/session/key-placement.js';
import { bucketPrefix } from '../../../gateway/session/redis-keys.js';
import { createSessionStore } from '../../../gateway/session/store-factory.js';
import type { SessionStore } from '../../../gateway/session/store.js';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { Browser } from '../../helpers/browser.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { TestRedis } from '../../helpers/redis-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { f, ok, ops, request } from './store-fixtures.js';

/** A log that keeps its records, to check the line an unreplicated commit leaves. */
function recordingLog(): { log: ReturnType<typeof createLogger>; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const sink = new PassThrough();
  sink.on('data', (line: Buffer) => records.push(JSON.parse(line.toString()) as Record<string, unknown>));
  return { log: createLogger({ level: 'info', destination: sink }), records };
}

const replicationLink = async (replica: TestRedis): Promise<boolean> => /master_link_status:up/.test(await replica.client().info('replication'));

/** `$session_wait_replicas`: a commit is answered once its replicas have it (WAIT), or after the wait, counted. */
describe('commits that wait for replicas (WAIT)', () => {
  let master: TestRedis;
  let replica: TestRedis;
  let store: SessionStore;
  let records: Array<Record<string, unknown>>;

  before(async () => {
    master = await TestRedis.start();
    replica = await TestRedis.start({ replicaOf: master.port });
    await waitFor(() => replicationLink(replica), { what: 'the replica to follow its master' });
    const recording = recordingLog();
    records = recording.records;
    store = await createSessionStore({ redisUrl: master.url, log: recording.log });
  });
  after(async () => {
    await store?.close();
    await replica?.close();
    await master?.close();
  });

  const replication = { replicas: 1, timeoutMs: 300 };

  it('answers a commit once the replica has it: the replica holds it when the answer arrives', async () => {
    // WAIT answers as soon as the replica acknowledges: a long wait costs nothing here, and a replica process that a
    // busy machine schedules late (over 300 ms once in a full run) must not turn a replicated commit unreplicated.
    const replicated = { replicas: 1, timeoutMs: 30_000 };
    const now = Date.now();
    const created = ok(await store.commit(request(now, { ops: ops({ set: { n: 0 } }), replication: replicated })));
    assert.equal(created.unreplicated, undefined);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.commit(request(now + 1 + i, { key: created.key, ops: ops({ incr: { n: 1 } }), replication: replicated }))));
    for (const r of results) assert.equal(ok(r).unreplicated, undefined);
    // WAIT counted the replica only once it had the writes: no polling needed to see them there.
    const name = `${bucketPrefix(bucketOfKey(created.key))}s:${created.key}`;
    assert.equal(await replica.client().hget(name, f('n')), '20');
  });

  it('with the replica gone, a commit is still answered (it is on the master), logged and counted as unreplicated', async () => {
    await replica.stop();
    const now = Date.now();
    // Parallel commits each wait on a connection of their own (a WAIT blocks the connection it runs on).
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => store.commit(request(now + i, { ops: ops({ set: { i } }), replication }))));
    assert.deepEqual(results.map((r) => ok(r).unreplicated), [true, true, true, true]);
    const keys = results.map((r) => ok(r).key);
    for (const key of keys) {
      assert.equal(await master.client().hget(`${bucketPrefix(bucketOfKey(key))}s:${key}`, f('i')) !== null, true, 'applied on the master');
    }
    const line = records.find((r) => r.event === 'session.commit_unreplicated');
    assert.ok(line, 'a log line for each unreplicated commit');
    assert.deepEqual([line.replicas, line.acknowledged, line.waitMs], [1, 0, 300]);
  });

  it('a commit that asks for no replica does not wait and is not counted', async () => {
    assert.equal(ok(await store.commit(request(Date.now(), { ops: ops({ set: { x: 1 } }), replication: null }))).unreplicated, undefined);
  });
});

describe('$session_wait_replicas through the gateway', () => {
  let master: TestRedis;
  let backend: DemoBackend;
  let gateway: GatewayUnderTest;
  before(async () => {
    master = await TestRedis.start();
    backend = await startDemoBackend();
    gateway = await startGateway({ backends: [backend.name], redisUrl: master.url, serverExtra: 'set $session_wait_replicas 1; set $session_wait_timeout 200ms;' });
  });
  after(async () => {
    await gateway?.process.stop();
    await backend?.process.stop();
    await master?.close();
  });

  it('a master without replicas answers 200, logs the commit and counts it on /metrics', async () => {
    const browser = new Browser(gateway.url);
    assert.equal((await browser.fetch('/api/counter', { method: 'POST' })).status, 200);
    assert.equal((await browser.fetch('/api/whoami')).json<{ counter: number }>().counter, 1);
    const line = await gateway.process.waitForRecord((r) => r.event === 'session.commit_unreplicated', 'the unreplicated-commit log line');
    assert.deepEqual([line.replicas, line.acknowledged, line.waitMs], [1, 0, 200]);
    const metrics = await new Browser(gateway.adminUrl).fetch('/metrics');
    assert.match(metrics.text, /^session_gateway_commits_unreplicated_total 1$/m);
  });
});
