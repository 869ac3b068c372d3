import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selfTimes, shortenUrl } from '../../../../scripts/bench/cpu-profile.js';

test('selfTimes sums sample time per frame, most first', () => {
  const profile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
      { id: 2, callFrame: { functionName: 'load', url: 'file:///x/dist/gateway/session/redis-store.js', lineNumber: 27 } },
      { id: 3, callFrame: { functionName: '', url: 'file:///x/node_modules/undici/lib/core/util.js', lineNumber: 9 } },
    ],
    samples: [1, 2, 2, 3, 2],
    timeDeltas: [1000, 2000, 2000, 1000, 4000],
  };
  const rows = selfTimes(profile, 2);
  assert.deepEqual(rows.map((r) => r.frame), ['load gateway/session/redis-store.js:28', '(idle)']);
  assert.equal(rows[0]?.selfMs, 8);
  assert.equal(rows[0]?.percent, 80);
});

test('shortenUrl keeps the part a reader recognises', () => {
  assert.equal(shortenUrl('file:///work/main/dist/gateway/proxy/request-handler.js'), 'gateway/proxy/request-handler.js');
  assert.equal(shortenUrl('node:internal/abort_controller'), 'node:internal/abort_controller');
});
