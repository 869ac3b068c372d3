import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientKeyOf, SessionCreationLimiter } from '../../../gateway/session/creation-limiter.js';

const T0 = 1_700_000_000_000;

describe('SessionCreationLimiter', () => {
  it('allows the burst at once, then one per interval (limit_req … burst=N nodelay)', () => {
    const limiter = new SessionCreationLimiter();
    const limit = { ratePerSecond: 10, burst: 5 };
    for (let i = 0; i < 6; i++) assert.equal(limiter.take('a', limit, T0), 0, `creation ${i + 1}`);
    assert.ok(limiter.take('a', limit, T0) >= 1, 'the 7th at once is refused');
    assert.ok(limiter.take('a', limit, T0 + 99) >= 1, 'still refused before one interval passed');
    assert.equal(limiter.take('a', limit, T0 + 100), 0, 'one interval later, one more');
    assert.ok(limiter.take('a', limit, T0 + 100) >= 1);
    assert.equal(limiter.take('b', limit, T0), 0, 'another client has its own allowance');
  });

  it('refills over time: after a quiet spell the whole burst is back', () => {
    const limiter = new SessionCreationLimiter();
    const limit = { ratePerSecond: 2, burst: 3 };
    for (let i = 0; i < 4; i++) assert.equal(limiter.take('a', limit, T0), 0);
    assert.ok(limiter.take('a', limit, T0) > 0);
    const later = T0 + 10_000;
    for (let i = 0; i < 4; i++) assert.equal(limiter.take('a', limit, later), 0);
    assert.ok(limiter.take('a', limit, later) > 0);
  });

  it('says how many seconds until a creation would be allowed', () => {
    const limiter = new SessionCreationLimiter();
    const limit = { ratePerSecond: 1 / 60, burst: 0 }; // 1r/m
    assert.equal(limiter.take('a', limit, T0), 0);
    assert.equal(limiter.take('a', limit, T0), 60);
    assert.equal(limiter.take('a', limit, T0 + 30_000), 30);
  });

  it('never refuses when the rate is 0 (off), and a refusal does not use up allowance', () => {
    const limiter = new SessionCreationLimiter();
    for (let i = 0; i < 1000; i++) assert.equal(limiter.take('a', { ratePerSecond: 0, burst: 0 }, T0), 0);
    assert.equal(limiter.size, 0);
    const limit = { ratePerSecond: 1, burst: 0 };
    assert.equal(limiter.take('b', limit, T0), 0);
    for (let i = 0; i < 100; i++) assert.ok(limiter.take('b', limit, T0 + 10) > 0);
    assert.equal(limiter.take('b', limit, T0 + 1000), 0, 'refused attempts did not push the allowance back');
  });

  it('holds at most maxClients, forgetting the least recently counted first', () => {
    const limiter = new SessionCreationLimiter({ maxClients: 100 });
    const limit = { ratePerSecond: 1, burst: 0 };
    for (let i = 0; i < 1000; i++) limiter.take(`c${i}`, limit, T0);
    assert.ok(limiter.size <= 100, `size ${limiter.size}`);
    assert.ok(limiter.take('c999', limit, T0) > 0, 'the most recent client is still limited');
    assert.equal(limiter.take('c0', limit, T0), 0, 'the oldest was forgotten');
  });
});

describe('clientKeyOf', () => {
  it('is the IPv4 address, also when it arrives IPv4-mapped', () => {
    assert.equal(clientKeyOf('203.0.113.7'), '203.0.113.7');
    assert.equal(clientKeyOf('::ffff:203.0.113.7'), '203.0.113.7');
    assert.equal(clientKeyOf('::FFFF:127.0.0.1'), '127.0.0.1');
  });

  it('is the /64 of an IPv6 address, however it is written', () => {
    const key = clientKeyOf('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    assert.equal(key, '2001:db8:1:2::/64');
    for (const same of ['2001:db8:1:2::1', '2001:0db8:0001:0002:ffff::', '2001:DB8:1:2:0:0:0:0', '2001:db8:1:2::1%eth0', '2001:db8:1:2::1.2.3.4']) {
      assert.equal(clientKeyOf(same), key, same);
    }
    assert.notEqual(clientKeyOf('2001:db8:1:3::1'), key);
    assert.equal(clientKeyOf('::1'), '0:0:0:0::/64');
    assert.equal(clientKeyOf('fe80::1'), 'fe80:0:0:0::/64');
  });

  it('is null without an address', () => {
    assert.equal(clientKeyOf(undefined), null);
    assert.equal(clientKeyOf(''), null);
  });
});
