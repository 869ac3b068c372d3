import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headerNameOf } from '../../../gateway/proxy/header-names.js';

describe('headerNameOf (response field names made once per spelling)', () => {
  it('gives what toString(latin1) and toLowerCase give, for names seen before or not, alike at both ends', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    // Few lengths and end bytes, so many names share a bucket; some bytes above 0x7f (obs-text in a hostile head).
    const alphabet = Buffer.from('aAbB-xX\xe9\xc9', 'latin1');
    for (let round = 0; round < 2000; round++) {
      const length = 1 + random(4);
      const bytes = Buffer.alloc(length);
      for (let i = 0; i < length; i++) bytes[i] = alphabet[random(alphabet.length)]!;
      if (length > 2) bytes[0] = bytes[length - 1] = 0x78;
      const got = headerNameOf(bytes);
      const name = bytes.toString('latin1');
      assert.equal(got.name, name);
      assert.equal(got.lower, name.toLowerCase());
    }
  });

  it('is not changed by a later change to the buffer it was first made from', () => {
    const bytes = Buffer.from('X-Reused-Buffer', 'latin1');
    assert.equal(headerNameOf(bytes).name, 'X-Reused-Buffer');
    bytes.write('Y', 0, 'latin1');
    assert.equal(headerNameOf(bytes).name, 'Y-Reused-Buffer');
    assert.equal(headerNameOf(Buffer.from('X-Reused-Buffer', 'latin1')).lower, 'x-reused-buffer');
  });

  it('handles an empty name', () => {
    assert.deepEqual({ ...headerNameOf(Buffer.alloc(0)) }, { name: '', lower: '' });
  });
});
