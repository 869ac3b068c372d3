import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runLoadtest } from './loadtest-run.js';

describe('rolling restart under load, two gateways sharing one Redis', () => {
  it('50 sessions spread over both gateways: no failed request, no lost session, new pids', { timeout: 120_000 }, async () => {
    const r = await runLoadtest(['--sessions', '50', '--duration', '12', '--gateways', '2']);
    assert.equal(r.non2xx, 0, `non-2xx: ${JSON.stringify(r.statuses)} ${JSON.stringify(r.samples)}`);
    assert.equal(r.socketErrors, 0, `socket errors: ${JSON.stringify(r.errorCodes)}`);
    assert.equal(r.sessionsReset, 0);
    assert.equal(r.counterBackwards, 0);
    assert.equal(r.draftsLost, 0);
    assert.deepEqual(r.notRestarted, []);
    assert.equal(r.pass, true);
    assert.equal(r.code, 0);
  });
});
