import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { readEnvSettings } from '../../../gateway/config/env.js';
import { GatewayError } from '../../../gateway/errors.js';
import { keyIdOf, openWith, parseStoreKeys, PRINCIPAL_FIELD, sealWith, StoreCipher } from '../../../gateway/session/store-cipher.js';
import { CLEAR, sealingCodec, sealOps } from '../../../gateway/session/store-cipher-codec.js';
import { attributeField } from '../../../gateway/session/store.js';

const KEY = randomBytes(32);
const field = attributeField('', 'n');

describe('SESSION_STORE_KEY', () => {
  it('takes 32-byte keys as hex, base64 and base64url, comma-separated, in order', () => {
    const [a, b, c] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const problems: string[] = [];
    const keys = parseStoreKeys(` ${a.toString('hex')}, ${b.toString('base64')},${c.toString('base64url')} `, problems);
    assert.deepEqual(problems, []);
    assert.deepEqual(keys, [a, b, c]);
  });

  it('reports every bad key at once with the environment problems: wrong length, not a key, a repeat', () => {
    const problems: string[] = [];
    const settings = readEnvSettings({ SESSION_STORE_KEY: `${KEY.toString('hex')},${randomBytes(16).toString('base64')},not-a-key,${KEY.toString('base64')}` }, problems);
    assert.deepEqual(problems, [
      'SESSION_STORE_KEY: key #2 is not 32 bytes written as 64 hex digits or base64 (make one with: openssl rand -base64 32)',
      'SESSION_STORE_KEY: key #3 is not 32 bytes written as 64 hex digits or base64 (make one with: openssl rand -base64 32)',
      'SESSION_STORE_KEY: key #4 repeats key #1',
    ]);
    assert.equal(readEnvSettings({}, []).sessionStoreKeys.length, 0, 'unset: encryption at rest is off');
    assert.ok(settings.sessionStoreKeys.length >= 1);
  });
});

describe('StoreCipher', () => {
  it('seals with the first key, opens with any listed one, bound to the field name, and passes clear values through', () => {
    const old = randomBytes(32);
    const sealed = sealWith(old, field, '41');
    assert.match(sealed, new RegExp(`^~2~${keyIdOf(old)}\\.[A-Za-z0-9_-]+$`), 'the clear length rides along for the size cap');
    const cipher = new StoreCipher([KEY, old], randomBytes(32));
    assert.equal(cipher.open(field, sealed), '41');
    assert.equal(cipher.isCurrent(sealed), false);
    assert.equal(cipher.isCurrent(cipher.seal(field, '41')), true);
    assert.equal(cipher.open(field, '"written in clear"'), '"written in clear"');
    assert.equal(cipher.open(PRINCIPAL_FIELD, '~tilde.user'), '~tilde.user', 'a clear principal may start with ~');
    assert.equal(CLEAR.openPrincipal('~tilde.user'), '~tilde.user');
    assert.throws(() => CLEAR.openPrincipal(sealed), (err: unknown) => err instanceof GatewayError && err.code === 'SG_STORE_KEY_MISMATCH', 'no key: ciphertext is never a principal');
    assert.equal(openWith(old, attributeField('', 'other'), sealed), null);
    assert.throws(() => new StoreCipher([KEY], randomBytes(32)).open(field, sealed), (err: unknown) => err instanceof GatewayError && err.code === 'SG_STORE_KEY_MISMATCH');
    assert.notEqual(cipher.seal(field, '41'), cipher.seal(field, '41'), 'a fresh IV every time');
  });

  it('indexes principals by an HMAC under the index key, never by the principal', () => {
    const index = randomBytes(32);
    const a = new StoreCipher([KEY], index);
    const rotated = new StoreCipher([randomBytes(32), KEY], index);
    assert.equal(a.principalId('alice'), rotated.principalId('alice'), 'rotating SESSION_STORE_KEY keeps index ids');
    assert.notEqual(a.principalId('alice'), a.principalId('bob'));
    assert.ok(!a.principalId('alice').includes('alice'));
  });

  it('turns an incr into a compare-and-set over the value read; a write-back that sets the base itself needs none', () => {
    const cipher = new StoreCipher([KEY], randomBytes(32));
    const stored = cipher.seal(field, '41');
    const sealed = sealOps(cipher, { set: new Map(), unset: [], incr: new Map([[field, 1]]) }, new Map([[field, stored]]), new Map());
    assert.ok(!('notNumber' in sealed));
    const [[casField, expected, replacement]] = sealed.cas as [[string, string, string]];
    assert.equal(casField, field);
    assert.equal(expected, `v${stored}`);
    assert.equal(cipher.open(field, replacement.slice(1)), '42');
    const own = sealOps(cipher, { set: new Map([[field, '5']]), unset: [], incr: new Map([[field, 2]]) }, new Map(), new Map());
    assert.ok(!('notNumber' in own));
    assert.deepEqual(own.cas, []);
    assert.equal(cipher.open(field, own.set.get(field)!), '7');
    assert.deepEqual(sealOps(cipher, { set: new Map([[field, '"x"']]), unset: [], incr: new Map([[field, 1]]) }, new Map(), new Map()), { notNumber: field });
    assert.equal(sealingCodec(cipher).stale(new Map([[field, stored]]), undefined), null, 'nothing to re-seal under the current key');
  });
});
