import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { masterConfigText, runCli, startMaster, type MasterUnderTest } from '../../helpers/master-process.js';
import { freePort } from '../../helpers/ports.js';

/**
 * `listen` addresses change at a reload as in nginx (docs/architecture.md §12): the master binds a new one before any
 * new worker starts — one in use fails the reload and the old configuration serves on — and lets go of one the new
 * configuration dropped.
 */

async function occupy(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

async function status(url: string): Promise<number | string> {
  try {
    const res = await request(`${url}/healthz`, { reset: true });
    await res.body.dump();
    return res.statusCode;
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).message;
  }
}

describe('reload: listen addresses', () => {
  let backend: DemoBackend;
  let master: MasterUnderTest;
  let held: Server | null = null;

  before(async () => {
    backend = await startDemoBackend();
    master = await startMaster({ backends: [backend.name], workers: 2 });
  });

  after(async () => {
    held?.close();
    await master.process.stop('SIGKILL');
    await backend.process.stop();
  });

  const writeConfig = (port: number, server = '') => writeFileSync(master.configFile, masterConfigText({
    port, backends: [backend.name], workers: 2, pidFile: master.pidFile, server,
  }));

  it('a new address in use fails the reload; the old addresses serve on', { timeout: 60_000 }, async () => {
    const busy = await freePort();
    held = await occupy(busy);
    writeConfig(master.port, `listen 127.0.0.1:${busy};`);
    const reload = await runCli(master, ['reload', '-c', master.configFile]);
    assert.equal(reload.code, 1);
    assert.match(reload.stderr, new RegExp(`SG_LISTEN_FAILED: cannot listen on 127\\.0\\.0\\.1:${busy} \\(proxy\\): address already in use`));
    assert.equal(await status(master.url), 200);
  });

  it('an address added serves, one dropped stops accepting, and one added back serves again', { timeout: 60_000 }, async () => {
    const added = await freePort();
    writeConfig(added);
    const moved = await runCli(master, ['reload', '-c', master.configFile]);
    assert.equal(moved.code, 0, moved.stderr);
    assert.equal(await status(`http://127.0.0.1:${added}`), 200);
    assert.equal(await status(master.url), 'ECONNREFUSED');

    writeConfig(added, `listen 127.0.0.1:${master.port};`);
    const back = await runCli(master, ['reload', '-c', master.configFile]);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(await status(master.url), 200);
    assert.equal(await status(`http://127.0.0.1:${added}`), 200);
  });
});
