import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PassiveFailures } from '../../../gateway/pool/passive-failures.js';

describe('PassiveFailures (nginx max_fails / fail_timeout)', () => {
  it('asks to eject after max_fails failures within fail_timeout, for fail_timeout', () => {
    const p = new PassiveFailures(2, 10_000);
    assert.equal(p.recordFailure(0), false);
    assert.equal(p.recordFailure(5_000), true);
    p.eject(5_000);
    assert.equal(p.ejected(14_999), true);
    assert.equal(p.ejected(15_000), false);
  });

  it('forgets failures older than fail_timeout', () => {
    const p = new PassiveFailures(2, 10_000);
    p.recordFailure(0);
    assert.equal(p.recordFailure(10_001), false);
  });

  it('max_fails=0 turns accounting off', () => {
    const p = new PassiveFailures(0, 10_000);
    for (let i = 0; i < 10; i++) assert.equal(p.recordFailure(i), false);
  });
});
