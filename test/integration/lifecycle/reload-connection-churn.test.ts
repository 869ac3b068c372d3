import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { connectionChurn, type ChurnResult } from '../../helpers/connection-churn.js';
import { runCli, startMaster, type MasterUnderTest } from '../../helpers/master-process.js';

/**
 * A reload must not strand a connection. The master accepts every connection and hands it to a worker in a message;
 * a retiring worker that exits with such a message still unread must not leave the connection accepted and never
 * read (with node:cluster's round-robin, runs like this one stranded 1-4 connections in 10-12 reloads; the test
 * catches that race often, not always). Here every request opens a connection of its own, so hand-overs are in
 * flight through every reload, and four workers with four clients leave retiring workers idle, which exit at once.
 */

const CLIENTS = 4;
const WORKERS = 4;
const RELOADS = 10;

describe('reloads under connection churn', () => {
  let backend: DemoBackend;
  let master: MasterUnderTest | null = null;

  before(async () => {
    backend = await startDemoBackend();
    master = await startMaster({ backends: [backend.name], workers: WORKERS });
  });

  after(async () => {
    await master?.process.stop('SIGKILL');
    await backend.process.stop();
  });

  it(`${RELOADS} reloads in a row while every request opens a new connection: every one is answered`, { timeout: 240_000 }, async () => {
    const churn = connectionChurn(master!.url, CLIENTS);
    let result: ChurnResult | null = null;
    try {
      for (let i = 0; i < RELOADS; i++) {
        const reload = await runCli(master!, ['reload', '-c', master!.configFile]);
        assert.equal(reload.code, 0, reload.stderr);
        assert.match(reload.stdout, new RegExp(`^reloaded: generation ${i + 2} serves`));
      }
    } finally {
      result = await churn.stop();
      process.stderr.write(`connection churn through ${RELOADS} reloads: ${JSON.stringify(result)}\n`);
    }
    assert.deepEqual(result.failures, {});
    assert.ok(result.answered > RELOADS * CLIENTS, `too few requests to mean anything: ${result.answered}`);
  });
});
