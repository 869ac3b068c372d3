import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { masterConfigText, processReport, runCli, startMaster, type MasterUnderTest } from '../../helpers/master-process.js';
import { TestRedis } from '../../helpers/redis-server.js';
import { SessionLoad } from '../../helpers/session-load.js';

/**
 * Issue 10, "done when": with worker_processes 2, under a steady logged-in load, reloads in a row — unchanged,
 * one adding a backend, one with that backend in MAINT (it stays MAINT), one with a broken file — give 0 failed
 * requests and 0 session breaks; the added backend serves afterwards; the broken file is reported as file:line and
 * the old configuration keeps serving; `status` shows the generation. Once on the embedded store (which lives in
 * the master), once on Redis.
 */

async function stateOf(master: MasterUnderTest, name: string): Promise<string | undefined> {
  const res = await request(`${master.adminUrl}/api/backends`);
  return ((await res.body.json()) as { backends: Array<{ name: string; state: string }> }).backends.find((b) => b.name === name)?.state;
}

async function reloadsUnderLoad(master: MasterUnderTest, first: DemoBackend, added: DemoBackend): Promise<void> {
  const load = new SessionLoad(master.url);
  await load.start();
  try {
    await load.moreRequests(60);
    const config = { port: master.port, workers: 2, pidFile: master.pidFile };

    const unchanged = await runCli(master, ['reload', '-c', master.configFile]);
    assert.equal(unchanged.code, 0, unchanged.stderr);
    assert.match(unchanged.stdout, /^reloaded: generation 2 serves/);
    await load.moreRequests(60);

    writeFileSync(master.configFile, masterConfigText({ ...config, backends: [first.name, added.name] }));
    const grown = await runCli(master, ['reload', '-c', master.configFile]);
    assert.equal(grown.code, 0, grown.stderr);
    assert.match(grown.stdout, /^reloaded: generation 3 serves/);
    const servedBefore = load.result.backends[added.name] ?? 0;
    await load.moreRequests(60);
    assert.ok((load.result.backends[added.name] ?? 0) > servedBefore, `the added backend served nothing: ${JSON.stringify(load.result.backends)}`);

    // A backend that stays keeps its shared admin state through a reload: MAINT before, MAINT after, no traffic.
    const maint = await request(`${master.adminUrl}/api/backends/${encodeURIComponent(added.name)}/maint`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(maint.statusCode, 200, await maint.body.text());
    const again = await runCli(master, ['reload', '-c', master.configFile]);
    assert.match(again.stdout, /^reloaded: generation 4 serves/);
    assert.equal(await stateOf(master, added.name), 'MAINT');
    const servedInMaint = load.result.backends[added.name] ?? 0;
    await load.moreRequests(60);
    assert.equal(load.result.backends[added.name] ?? 0, servedInMaint, 'a MAINT backend got requests after the reload');

    writeFileSync(master.configFile, masterConfigText({ ...config, backends: [first.name, added.name], server: 'client_max_body_size banana;' }));
    const broken = await runCli(master, ['reload', '-c', master.configFile]);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, new RegExp(`${master.configFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+: `));
    assert.match(broken.stderr, /the old configuration keeps serving/);
    await load.moreRequests(60);
  } finally {
    const result = await load.stop();
    process.stderr.write(`load through four reloads: ${JSON.stringify(result)}\n`);
    assert.equal(result.failed, 0, `failed requests: ${JSON.stringify(result.failures)}`);
    assert.equal(result.sessionBreaks, 0);
  }
  // Two workers, four generations: still one member of the fleet (one heartbeat), not one per worker.
  const fleet = await request(`${master.adminUrl}/api/backends`);
  assert.equal(((await fleet.body.json()) as { gateways: unknown[] }).gateways.length, 1);
  const report = await processReport(master);
  assert.equal(report.generation, 4);
  assert.equal(report.lastReload?.ok, false);
  assert.deepEqual(report.workers.filter((w) => w.state === 'serving').map((w) => w.generation), [4, 4]);
  const status = await runCli(master, ['status']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /generation 4 · 2 worker\(s\) serving/);
  assert.match(status.stdout, /last reload: FAILED at .*, generation 4 kept serving:\n {2}.*gateway\.conf:\d+: /);
}

for (const store of ['embedded', 'redis'] as const) {
  describe(`reloads under load, worker_processes 2, ${store} store`, () => {
    let redis: TestRedis | null = null;
    let master: MasterUnderTest | null = null;
    const backends: DemoBackend[] = [];

    before(async () => {
      if (store === 'redis') redis = await TestRedis.start();
      backends.push(await startDemoBackend(), await startDemoBackend());
      master = await startMaster({ backends: [backends[0]!.name], workers: 2, ...(redis ? { redisUrl: redis.url } : {}) });
    });

    after(async () => {
      await master?.process.stop('SIGKILL');
      for (const b of backends) await b.process.stop();
      await redis?.close();
    });

    it('unchanged, a backend added, a backend kept in MAINT, a broken file: 0 failed requests, 0 session breaks', { timeout: 180_000 }, async () => {
      await reloadsUnderLoad(master!, backends[0]!, backends[1]!);
      // The gateway still stops gracefully after all of it.
      const quit = await runCli(master!, ['quit', '-c', master!.configFile]);
      assert.equal(quit.code, 0, quit.stderr);
      assert.equal(await master!.process.exited(), 0);
    });
  });
}
