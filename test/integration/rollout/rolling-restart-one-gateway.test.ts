import { describe, it } from 'node:test';
import { assertNoLoss, runLoadtest } from './loadtest-run.js';

/**
 * Issue 3, "done when": a rolling restart of three demo backends under continuous load from 50 sessions ends with
 * 0 non-2xx, 0 socket errors, 0 sessions reset and new pids.
 */
describe('rolling restart under load, one gateway', () => {
  it('50 sessions: no failed request, no lost session, every backend a new pid', { timeout: 240_000 }, async () => {
    const r = await runLoadtest(['--sessions', '50', '--duration', '12', '--gateways', '1']);
    assertNoLoss(r);
  });
});
