import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runLoadtest } from './loadtest-run.js';

/**
 * Issue 3, "done when": a rolling restart of three demo backends under continuous load from 50 sessions ends with
 * 0 non-2xx, 0 socket errors, 0 sessions reset and new pids.
 */
describe('rolling restart under load, one gateway', () => {
  it('50 sessions: no failed request, no lost session, every backend a new pid', { timeout: 120_000 }, async () => {
    const r = await runLoadtest(['--sessions', '50', '--duration', '12', '--gateways', '1']);
    assert.equal(r.non2xx, 0, `non-2xx: ${JSON.stringify(r.statuses)} ${JSON.stringify(r.samples)}`);
    assert.equal(r.socketErrors, 0, `socket errors: ${JSON.stringify(r.errorCodes)}`);
    assert.equal(r.sessionsReset, 0);
    assert.equal(r.counterBackwards, 0);
    assert.equal(r.draftsLost, 0);
    assert.deepEqual(r.notRestarted, []);
    assert.equal((r.rollout as { ok: boolean }).ok, true);
    assert.equal(r.pass, true);
    assert.equal(r.code, 0);
  });
});
