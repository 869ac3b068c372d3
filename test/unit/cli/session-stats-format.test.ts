import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionStatsView } from '../../../gateway/admin/session-routes.js';
import { formatStats, sizeRanges } from '../../../gateway/cli/sessions-command.js';
import { SIZE_BUCKETS } from '../../../gateway/session/store.js';

/** The store reports cumulative buckets (≤ le); `sessions stats` prints how many sessions fall in each range. */
describe('sessions stats: size ranges', () => {
  const cumulative = (sizes: number[]) => [...SIZE_BUCKETS, null].map((le) => ({ le, count: sizes.filter((n) => le === null || n <= le).length }));

  it('one 300-byte session is counted once, in its range', () => {
    const ranges = sizeRanges(cumulative([300]));
    assert.equal(ranges.reduce((sum, r) => sum + r.count, 0), 1);
    assert.deepEqual(ranges.filter((r) => r.count > 0), [{ range: '256 B–1 KiB', count: 1 }]);
  });

  it('every range is named, the first from zero and the last open-ended', () => {
    const ranges = sizeRanges(cumulative([10, 300, 300, 5000, 20_000]));
    assert.deepEqual(ranges.map((r) => r.range), ['up to 256 B', '256 B–1 KiB', '1 KiB–2 KiB', '2 KiB–4 KiB', '4 KiB–8 KiB', '8 KiB–16 KiB', 'over 16 KiB']);
    assert.deepEqual(ranges.map((r) => r.count), [1, 2, 0, 0, 1, 0, 1]);
  });

  it('the printed line sums to the active sessions', () => {
    const stats = {
      store: 'memory', counterScope: 'global', active: 1, pendingExpiry: 0, perSecond: null,
      counters: { created: 1, logins: 0, duplicateLogins: 0, loginRejected: 0, destroyedLogout: 0, destroyedKill: 0, destroyedEvicted: 0, expiredIdle: 0, expiredAbsolute: 0, expiredLapsed: 0 },
      sizeBuckets: cumulative([300]),
    } as unknown as SessionStatsView;
    const line = formatStats(stats).split('\n').find((l) => l.startsWith('sizes: '))!;
    const counts = [...line.matchAll(/: (\d+)/g)].map((m) => Number(m[1]));
    assert.equal(counts.reduce((a, b) => a + b, 0), 1, line);
  });
});
