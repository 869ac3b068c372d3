import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { TestProcess } from '../../helpers/child-process.js';
import { TEST_SECRET } from '../../helpers/gateway-process.js';
import { masterConfigText, runCli, startMaster } from '../../helpers/master-process.js';
import { gatewayCli } from '../../helpers/paths.js';
import { freePort } from '../../helpers/ports.js';
import { waitFor } from '../../helpers/wait-for.js';

/** Issue 10 item 2, the signals besides HUP and QUIT: USR1 reopens the log files, INT stops fast, USR2 is ignored. */

function records(file: string): Array<Record<string, unknown>> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('signals', () => {
  let backend: DemoBackend;
  const running: Array<{ process: TestProcess }> = [];

  before(async () => {
    backend = await startDemoBackend();
  });

  after(async () => {
    for (const r of running) await r.process.stop('SIGKILL');
    await backend.process.stop();
  });

  it('USR1 (session-gateway reopen): the master and its workers write to a new file after logrotate moved theirs', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-logs-'));
    const logFile = join(dir, 'gateway.log');
    const configFile = join(dir, 'gateway.conf');
    const port = await freePort();
    writeFileSync(configFile, masterConfigText({ port, backends: [backend.name], workers: 2, pidFile: join(dir, 'gateway.pid'), main: `error_log ${logFile} info;` }));
    const env = { SESSION_SECRET: TEST_SECRET, ADMIN_LISTEN: `127.0.0.1:${await freePort()}`, REDIS_URL: '' };
    const proc = new TestProcess(process.execPath, [gatewayCli, 'start', '-c', configFile], env);
    running.push({ process: proc });
    await waitFor(() => records(logFile).some((r) => r.event === 'gateway.listening'), { timeoutMs: 30_000, what: 'the master to log that it listens, to the file' });
    assert.deepEqual(proc.lines.filter((l) => l.startsWith('{')), [], 'nothing logged on stdout with error_log FILE');

    renameSync(logFile, `${logFile}.1`);
    const reopen = await runCli({ env }, ['reopen', '-c', configFile]);
    assert.equal(reopen.code, 0, reopen.stderr);
    const reopened = await waitFor(() => {
      const lines = records(logFile).filter((r) => r.event === 'logs.reopened');
      return lines.length === 3 ? lines : undefined;
    }, { what: 'the master and both workers to log into the new file' });
    assert.equal(new Set(reopened.map((r) => r.pid)).size, 3);
    assert.ok(records(`${logFile}.1`).some((r) => r.event === 'gateway.listening'), 'the rotated file keeps what was written before');
  });

  it('USR2 is logged and ignored; INT stops fast, cutting a request in flight, and exits 0', { timeout: 60_000 }, async () => {
    const master = await startMaster({ backends: [backend.name], workers: 1 });
    running.push(master);
    process.kill(master.process.pid, 'SIGUSR2');
    await master.process.waitForRecord((r) => r.event === 'gateway.signal_ignored' && r.signal === 'SIGUSR2', 'USR2 logged');
    assert.equal((await request(`${master.url}/healthz`)).statusCode, 200, 'still serving after USR2');

    const slow = request(`${master.url}/api/slow?ms=20000`).then((res) => res.body.text().then(() => 'answered'), () => 'cut');
    await waitFor(async () => {
      const res = await request(`${master.adminUrl}/api/backends`);
      return ((await res.body.json()) as { backends: Array<{ inFlight: number }> }).backends[0]!.inFlight === 1;
    }, { what: 'the slow request to be in flight' });
    process.kill(master.process.pid, 'SIGINT');
    assert.equal(await slow, 'cut');
    assert.equal(await master.process.exited(), 0);
  });
});
