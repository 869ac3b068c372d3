import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { processReport, runCli, startMaster, type MasterUnderTest } from '../../helpers/master-process.js';
import { buildRoot, repoRoot } from '../../helpers/paths.js';
import { SessionLoad } from '../../helpers/session-load.js';

/**
 * Issue 10: "a code upgrade is a reload". The gateway runs from an installed copy of the package (its build, its
 * package.json, the dependencies); a new build is put in place (here: the copy's package.json gets a new version,
 * which every process reads from disk when it starts) and `session-gateway reload` makes new workers that run it,
 * under a logged-in load with no failed request and no session break. The master keeps its own code (and version)
 * until a restart, as the README says.
 */

interface InstalledCopy {
  dir: string;
  cli: string;
  packageJson: string;
}

function installCopy(): InstalledCopy {
  const dir = mkdtempSync(join(tmpdir(), 'sg-upgrade-'));
  cpSync(join(buildRoot, 'gateway'), join(dir, 'dist', 'gateway'), { recursive: true });
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const packageJson = join(dir, 'package.json');
  cpSync(join(repoRoot, 'package.json'), packageJson);
  return { dir, cli: join(dir, 'dist', 'gateway', 'cli', 'main.js'), packageJson };
}

describe('a reload picks up a new build', () => {
  let backend: DemoBackend;
  let copy: InstalledCopy;
  let master: MasterUnderTest | null = null;

  before(async () => {
    copy = installCopy();
    backend = await startDemoBackend();
  });

  after(async () => {
    await master?.process.stop('SIGKILL');
    await backend.process.stop();
    rmSync(copy.dir, { recursive: true, force: true });
  });

  it('new workers run the new version while requests keep succeeding; the master keeps its own', { timeout: 180_000 }, async () => {
    const pkg = JSON.parse(readFileSync(copy.packageJson, 'utf8')) as { version: string };
    const oldVersion = pkg.version;
    const newVersion = `${oldVersion}-upgrade.1`;
    master = await startMaster({ backends: [backend.name], workers: 2, cli: copy.cli });
    const before = await processReport(master);
    assert.equal(before.version, oldVersion);
    assert.deepEqual(before.workers.map((w) => w.version), [oldVersion, oldVersion]);

    const load = new SessionLoad(master.url);
    await load.start();
    try {
      await load.moreRequests(60);
      writeFileSync(copy.packageJson, JSON.stringify({ ...pkg, version: newVersion }, null, 2));
      const reload = await runCli(master, ['reload', '-c', master.configFile]);
      assert.equal(reload.code, 0, reload.stderr);
      assert.match(reload.stdout, /^reloaded: generation 2 serves/);
      await load.moreRequests(60);
    } finally {
      const result = await load.stop();
      process.stderr.write(`load through an upgrade reload: ${JSON.stringify(result)}\n`);
      assert.equal(result.failed, 0, `failed requests: ${JSON.stringify(result.failures)}`);
      assert.equal(result.sessionBreaks, 0);
    }
    const afterReload = await processReport(master);
    const serving = afterReload.workers.filter((w) => w.state === 'serving');
    assert.deepEqual(serving.map((w) => [w.generation, w.version]), [[2, newVersion], [2, newVersion]]);
    assert.ok(serving.every((w) => !before.workers.some((old) => old.pid === w.pid)), 'the serving workers are new processes');
    assert.equal(afterReload.version, oldVersion, 'the master runs the code it started with');
    const status = await runCli(master, ['status']);
    assert.equal(status.code, 0, status.stderr);
    assert.ok(status.stdout.includes(`workers run version ${newVersion} (the master runs ${oldVersion}; a restart upgrades it)`), status.stdout);

    const quit = await runCli(master, ['quit', '-c', master.configFile]);
    assert.equal(quit.code, 0, quit.stderr);
    assert.equal(await master.process.exited(), 0);
  });
});
