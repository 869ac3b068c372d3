import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AddressRule } from '../../../gateway/access/access-settings.js';
import { checkAddress } from '../../../gateway/access/address-rules.js';
import { parseCidr, parseIpAddress, parseIpv6 } from '../../../gateway/access/ip-address.js';

function rules(...lines: string[]): AddressRule[] {
  return lines.map((line) => {
    const [action, text] = line.split(' ') as ['allow' | 'deny', string];
    const match = text === 'all' ? 'all' : text === 'unix:' ? 'unix' : parseCidr(text);
    assert.ok(match, text);
    return { action, match, text };
  });
}

describe('nginx CIDR syntax (ngx_ptocidr)', () => {
  it('reads addresses and networks of both families', () => {
    assert.deepEqual(parseCidr('10.1.2.3'), { family: 'ipv4', bytes: Uint8Array.from([10, 1, 2, 3]), prefix: 32, lowBitsCleared: false });
    assert.deepEqual(parseCidr('10.0.0.0/8')?.prefix, 8);
    assert.deepEqual(parseCidr('0.0.0.0/0')?.prefix, 0);
    assert.equal(parseCidr('2001:db8::/32')?.family, 'ipv6');
    assert.equal(parseCidr('::/0')?.prefix, 0);
    assert.deepEqual([...parseCidr('::ffff:10.0.0.1')!.bytes.slice(10)], [0xff, 0xff, 10, 0, 0, 1]);
    assert.deepEqual([...parseCidr('010.000.000.001')!.bytes], [10, 0, 0, 1], 'leading zeros are decimal, as nginx reads them');
  });

  it('masks low bits off and says so, as nginx warns', () => {
    const cidr = parseCidr('10.1.2.3/8')!;
    assert.deepEqual([...cidr.bytes], [10, 0, 0, 0]);
    assert.equal(cidr.lowBitsCleared, true);
    assert.equal(parseCidr('2001:db8::1/32')!.lowBitsCleared, true);
  });

  it('refuses what nginx calls an invalid parameter', () => {
    for (const bad of ['10.0.0.256', '10.0.0', '10.0.0.0/33', '10.0.0.0/', '10.0.0.0/x', '::/129', '1::2::3', 'fe80::1%eth0', 'example.com', '1:2:3:4:5:6:7:8:9', '[::1]', '1.2.3.4::']) {
      assert.equal(parseCidr(bad), null, bad);
    }
  });

  it('reads every IPv6 text form Node can report', () => {
    assert.deepEqual([...parseIpv6('::1')!], [...new Array(15).fill(0), 1]);
    assert.deepEqual([...parseIpv6('1::')!], [0, 1, ...new Array(14).fill(0)]);
    assert.equal(parseIpv6('2001:db8:0:0:0:0:2:1')!.toString(), parseIpv6('2001:db8::2:1')!.toString());
    assert.equal(parseIpAddress('fe80::1%eth0')?.family, 'ipv6');
    assert.equal(parseIpAddress('127.0.0.1')?.family, 'ipv4');
  });
});

describe('allow/deny: the first matching rule of the client family decides', () => {
  it('first match wins, and no match declines', () => {
    const r = rules('deny 192.168.1.1', 'allow 192.168.1.0/24', 'allow 10.1.1.0/16', 'allow 2001:db8::/32', 'deny all');
    assert.equal(checkAddress(r, '192.168.1.1'), 'deny');
    assert.equal(checkAddress(r, '192.168.1.77'), 'allow');
    assert.equal(checkAddress(r, '10.1.200.3'), 'allow');
    assert.equal(checkAddress(r, '2001:db8:1::5'), 'allow');
    assert.equal(checkAddress(r, '2001:db9::5'), 'deny');
    assert.equal(checkAddress(r, '8.8.8.8'), 'deny');
    assert.equal(checkAddress(rules('deny 10.0.0.1'), '10.0.0.2'), null, 'nothing matched: neither allowed nor denied');
  });

  it('rules of one family say nothing about the other (as nginx keeps them apart)', () => {
    assert.equal(checkAddress(rules('deny 10.0.0.0/8'), '::1'), null);
    assert.equal(checkAddress(rules('deny ::1'), '127.0.0.1'), null);
    assert.equal(checkAddress(rules('deny unix:'), '127.0.0.1'), null);
    assert.equal(checkAddress(rules('allow ::1', 'deny all'), '127.0.0.1'), 'deny', '"all" is in every family');
  });

  it('an IPv4 client on a dual-stack listener is checked against the IPv4 rules', () => {
    assert.equal(checkAddress(rules('allow 127.0.0.1', 'deny all'), '::ffff:127.0.0.1'), 'allow');
    assert.equal(checkAddress(rules('deny 127.0.0.0/8'), '::ffff:127.0.0.5'), 'deny');
    // nginx: with no IPv4 rule at all, the mapped address is checked as the IPv6 address it is.
    assert.equal(checkAddress(rules('deny ::ffff:0:0/96'), '::ffff:127.0.0.5'), 'deny');
    assert.equal(checkAddress(rules('deny ::ffff:0:0/96', 'allow 10.0.0.1'), '::ffff:127.0.0.5'), null);
  });

  it('a connection without an address is refused when any rule applies', () => {
    assert.equal(checkAddress(rules('allow all'), undefined), 'deny');
    assert.equal(checkAddress(rules('deny unix:'), undefined), null);
  });
});
