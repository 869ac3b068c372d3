import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Upstream } from '../../../gateway/pool/upstream-pool.js';
import { testUpstream } from './test-upstream.js';

const upstream = testUpstream;

describe('Upstream: serving rules (no sockets are opened)', () => {
  const made: Upstream[] = [];
  after(async () => Promise.all(made.flatMap((u) => u.backends.map((b) => b.close()))));

  it('new requests only go to READY and not UNHEALTHY backends; backups only when no primary serves', () => {
    const u = upstream([{ port: 1 }, { port: 2 }, { port: 3, backup: true }]);
    made.push(u);
    const [a, b, backup] = u.backends;
    a!.adminState = 'DRAINING';
    for (let i = 0; i < 5; i++) assert.equal(u.pick(), b);
    b!.health = 'UNHEALTHY';
    assert.equal(u.pick(), backup);
    backup!.adminState = 'MAINT';
    assert.equal(u.pick(), b, 'fail open: every READY backend looks unhealthy, so try the READY one anyway');
    b!.adminState = 'MAINT';
    assert.equal(u.pick(), null, 'never a backend an operator took out');
  });

  it('passive ejection never takes out the last serving backend', () => {
    const u = upstream([{ port: 4 }, { port: 5 }]);
    made.push(u);
    const [a, b] = u.backends;
    assert.equal(u.recordFailure(a!, 1_000), true, 'ejects while another serves');
    assert.equal(a!.passive.ejected(1_001), true);
    assert.equal(u.recordFailure(b!, 1_001), false, 'b is the last one serving');
    assert.equal(b!.passive.ejected(1_002), false);
  });
});
