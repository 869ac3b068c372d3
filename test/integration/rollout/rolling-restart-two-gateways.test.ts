import { describe, it } from 'node:test';
import { assertNoLoss, runLoadtest } from './loadtest-run.js';

describe('rolling restart under load, two gateways sharing one Redis', () => {
  it('50 sessions spread over both gateways: no failed request, no lost session, new pids', { timeout: 240_000 }, async () => {
    const r = await runLoadtest(['--sessions', '50', '--duration', '12', '--gateways', '2']);
    assertNoLoss(r);
  });
});
