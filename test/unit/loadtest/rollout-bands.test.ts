import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bandsOf, type RolloutStep } from '../../../gateway/loadtest/rollout-under-load.js';

const step = (atS: number, backend: string, s: RolloutStep['step']): RolloutStep => ({ atS, backend, step: s, message: '' });

test('each backend is drawn draining (drain → drained) then restarting (drained → READY)', () => {
  const steps = [step(2, '', 'lock'), step(2.1, 'a', 'drain'), step(2.5, 'a', 'drained'), step(2.6, 'a', 'restart'), step(4, 'a', 'healthy'), step(4.1, 'a', 'ready'), step(4.2, 'a', 'settle'), step(5, 'a', 'done'), step(5, 'b', 'drain'), step(5.2, 'b', 'drained'), step(7, 'b', 'ready')];
  assert.deepEqual(bandsOf(steps, 9), [
    { backend: 'a', kind: 'draining', fromS: 2.1, toS: 2.5 },
    { backend: 'a', kind: 'restarting', fromS: 2.5, toS: 4.1 },
    { backend: 'b', kind: 'draining', fromS: 5, toS: 5.2 },
    { backend: 'b', kind: 'restarting', fromS: 5.2, toS: 7 },
  ]);
});

test('an aborted backend ends its band at the abort; a band still open ends with the load', () => {
  assert.deepEqual(bandsOf([step(1, 'a', 'drain'), step(1.5, 'a', 'drained'), step(9, 'a', 'abort')], 12), [
    { backend: 'a', kind: 'draining', fromS: 1, toS: 1.5 },
    { backend: 'a', kind: 'restarting', fromS: 1.5, toS: 9 },
  ]);
  assert.deepEqual(bandsOf([step(1, 'a', 'drain')], 3), [{ backend: 'a', kind: 'draining', fromS: 1, toS: 3 }]);
});
