import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attributeField, attributesOf, encodedSize, type StoredSession } from '../../../gateway/session/store.js';

function sessionWith(fields: Array<[string, string]>): StoredSession {
  return { key: 'k', handle: 'h', principal: null, createdAt: 0, lastAccessAt: 0, status: null, fields: new Map(fields), size: encodedSize(fields) };
}

describe('attributesOf', () => {
  it('gives the attributes of one scope as parsed JSON', () => {
    const s = sessionWith([[attributeField('', 'a'), '1'], [attributeField('shop', 'a'), '"x"'], [attributeField('', 'o'), '{"d":[true]}']]);
    assert.deepEqual(attributesOf(s, ''), { a: 1, o: { d: [true] } });
    assert.deepEqual(attributesOf(s, 'shop'), { a: 'x' });
  });

  it('keeps __proto__, constructor and prototype as own properties (and never changes a prototype)', () => {
    const s = sessionWith([[attributeField('', '__proto__'), '{"admin":true}'], [attributeField('', 'constructor'), '"c"'], [attributeField('', 'prototype'), '2']]);
    const data = attributesOf(s, '');
    assert.equal(Object.getPrototypeOf(data), Object.prototype);
    assert.deepEqual(Object.keys(data), ['__proto__', 'constructor', 'prototype']);
    assert.equal((data as { admin?: unknown }).admin, undefined);
    assert.equal(JSON.stringify(data), '{"__proto__":{"admin":true},"constructor":"c","prototype":2}');
  });
});
