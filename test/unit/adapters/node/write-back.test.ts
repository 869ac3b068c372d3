import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, encodePrincipal, encodeUpdate, principalOf, writeBackHeaders, type GatewayClaims } from '../../../../adapters/node/write-back.js';

const claims = (data: Record<string, unknown>, sub?: string): GatewayClaims => ({ sid: 'sid-1', data, ...(sub ? { sub } : {}) });
const decode = (value: string): unknown => JSON.parse(value.startsWith('b64:') ? Buffer.from(value.slice(4), 'base64url').toString('utf8') : value);
const headers = (c: GatewayClaims | null, current: Record<string, unknown>, flags: { regenerated?: boolean; destroyed?: boolean } = {}) =>
  Object.fromEntries(writeBackHeaders(c, 'user.id', { current, regenerated: flags.regenerated ?? false, destroyed: flags.destroyed ?? false }));

describe('express adapter write-back', () => {
  it('compares values whatever their key order, and as JSON (a Date is its ISO string)', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: 2, c: 3 } }), canonicalJson({ a: { c: 3, d: 2 }, b: 1 }));
    assert.equal(canonicalJson(new Date(0)), '"1970-01-01T00:00:00.000Z"');
    assert.equal(canonicalJson(undefined), undefined);
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    assert.throws(() => canonicalJson(loop), TypeError);
  });

  it('finds the principal at a field path; only non-empty strings and safe integers count', () => {
    assert.equal(principalOf({ user: { id: 7 } }, 'user.id'), '7');
    assert.equal(principalOf({ user: 'ann' }, 'user'), 'ann');
    for (const data of [{ user: { id: '' } }, { user: { id: true } }, { user: null }, {}, { user: { id: 1.5 } }]) assert.equal(principalOf(data, 'user.id'), null);
    assert.equal(principalOf({ user: { id: 'x' } }, undefined), null);
  });

  it('encodes non-ASCII JSON and principals as b64: (Node may write the head as UTF-8); refuses control characters', () => {
    assert.equal(encodeUpdate({ a: 1 }, ['b']), '{"set":{"a":1},"unset":["b"]}');
    assert.equal(encodeUpdate({}, []), null);
    const update = encodeUpdate({ name: 'Zoë' }, [])!;
    assert.match(update, /^b64:/);
    assert.deepEqual(decode(update), { set: { name: 'Zoë' } });
    assert.equal(encodePrincipal('ann'), 'ann');
    assert.equal(encodePrincipal('zoë'), `b64:${Buffer.from('zoë').toString('base64url')}`);
    assert.equal(encodePrincipal('b64:literal'), `b64:${Buffer.from('b64:literal').toString('base64url')}`, 'a principal that looks encoded is encoded');
    assert.throws(() => encodePrincipal('a\r\nb'), TypeError);
  });

  it('writes only what changed, unsets what went (and undefined values)', () => {
    const h = headers(claims({ keep: [1], change: 1, drop: 'x', gone: 2 }), { keep: [1], change: 2, gone: undefined, added: { a: 1 } });
    assert.deepEqual(decode(h['X-Session-Update']!), { set: { change: 2, added: { a: 1 } }, unset: ['drop', 'gone'] });
    assert.deepEqual(headers(claims({ a: { x: 1, y: 2 } }), { a: { y: 2, x: 1 } }), {});
  });

  it('a new or changed principal is a Login; regenerate logs in again', () => {
    assert.equal(headers(null, { user: { id: 'ann' } })['X-Session-Login'], 'ann');
    assert.equal(headers(claims({ user: { id: 'ann' } }, 'ann'), { user: { id: 'ann' } })['X-Session-Login'], undefined);
    assert.equal(headers(claims({ user: { id: 'ann' } }, 'ann'), { user: { id: 'bob' } })['X-Session-Login'], 'bob');
    assert.equal(headers(claims({ user: { id: 'ann' } }, 'ann'), { user: { id: 'ann' } }, { regenerated: true })['X-Session-Login'], 'ann');
  });

  it('removing the principal, or regenerate without one, logs out and keeps what is left in a new session', () => {
    const h = headers(claims({ user: { id: 'ann' }, cart: [1] }, 'ann'), { cart: [1] });
    assert.equal(h['X-Session-Logout'], '1');
    assert.deepEqual(decode(h['X-Session-Update']!), { set: { cart: [1] } });
    assert.deepEqual(headers(claims({ user: { id: 'ann' } }, 'ann'), {}, { regenerated: true }), { 'X-Session-Logout': '1' });
    // Another app did the login (single sign-on): this one not having the attribute is no logout.
    assert.deepEqual(decode(headers(claims({ theme: 'dark' }, 'ann'), { theme: 'light' })['X-Session-Update']!), { set: { theme: 'light' } });
  });

  it('destroy is a Logout only when the gateway has a session', () => {
    assert.deepEqual(headers(claims({ a: 1 }), {}, { destroyed: true }), { 'X-Session-Logout': '1' });
    assert.deepEqual(headers(null, { a: 1 }, { destroyed: true }), {});
  });
});
