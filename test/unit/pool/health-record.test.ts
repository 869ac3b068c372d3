import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HealthRecord } from '../../../gateway/pool/health-record.js';

const ok = { ok: true, detail: '200' };
const fail = { ok: false, detail: 'ECONNREFUSED' };

describe('HealthRecord (rise/fall)', () => {
  it('the first result decides from UNKNOWN', () => {
    const up = new HealthRecord();
    assert.equal(up.apply(ok, 2, 3, 1), 'HEALTHY');
    const down = new HealthRecord();
    assert.equal(down.apply(fail, 2, 3, 1), 'UNHEALTHY');
  });

  it('takes `fall` failures in a row to go UNHEALTHY and `rise` successes to come back', () => {
    const r = new HealthRecord();
    r.apply(ok, 2, 3, 0);
    assert.equal(r.apply(fail, 2, 3, 1), null);
    assert.equal(r.apply(fail, 2, 3, 2), null);
    assert.equal(r.apply(ok, 2, 3, 3), null, 'a success resets the failure run');
    r.apply(fail, 2, 3, 4);
    r.apply(fail, 2, 3, 5);
    assert.equal(r.apply(fail, 2, 3, 6), 'UNHEALTHY');
    assert.equal(r.apply(ok, 2, 3, 7), null);
    assert.equal(r.apply(ok, 2, 3, 8), 'HEALTHY');
    assert.equal(r.checkSeq, 9);
    assert.equal(r.okStreak, 2);
  });
});
