import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WriteBackError } from '../../../gateway/errors.js';
import { attributeField } from '../../../gateway/session/store.js';
import { hasAttributeOps, MAX_UPDATE_HEADER_BYTES, parseWriteBack, type WriteBack } from '../../../gateway/session/write-back.js';

type Headers = Record<string, string | string[] | undefined>;

/** Field name of an attribute in the shared scope. */
const f = (name: string): string => attributeField('', name);

/** The header as Node hands it over when a backend sent this JSON as raw UTF-8. */
function update(value: unknown): Headers {
  return { 'x-session-update': asWireText(JSON.stringify(value)) };
}

/** What Node hands us for a header whose bytes are UTF-8: one latin1 character per byte. */
function asWireText(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

function parsed(headers: Headers, scope = ''): WriteBack {
  const result = parseWriteBack(headers, scope);
  assert.ok(result !== null, 'expected a write-back');
  return result;
}

function assertRefused(headers: Headers, code: 'SG_WRITEBACK_MALFORMED' | 'SG_WRITEBACK_TOO_LARGE' = 'SG_WRITEBACK_MALFORMED'): void {
  assert.throws(
    () => parseWriteBack(headers, ''),
    (err: unknown) => err instanceof WriteBackError && err.code === code && err.status === 502,
  );
}

describe('parseWriteBack: no write-back', () => {
  it('returns null when none of the headers is present', () => {
    assert.equal(parseWriteBack({ 'content-type': 'text/html', 'x-session': 'jwt', 'set-cookie': ['a=1'] }, ''), null);
  });

  it('returns null when the headers are present but undefined', () => {
    assert.equal(parseWriteBack({ 'x-session-update': undefined, 'x-session-login': undefined, 'x-session-logout': undefined }, ''), null);
  });
});

describe('parseWriteBack: accepted X-Session-Update', () => {
  it('set: every value becomes JSON text under its field', () => {
    const wb = parsed(update({ set: { n: 1, s: 'x', o: { d: [1, true] }, z: null } }));
    assert.deepEqual([...wb.ops.set], [[f('n'), '1'], [f('s'), '"x"'], [f('o'), '{"d":[1,true]}'], [f('z'), 'null']]);
    assert.deepEqual(wb.ops.unset, []);
    assert.equal(wb.ops.incr.size, 0);
    assert.equal(wb.login, null);
    assert.equal(wb.logout, false);
  });

  it('unset: the named fields, in order', () => {
    const wb = parsed(update({ unset: ['a', 'b'] }));
    assert.deepEqual(wb.ops.unset, [f('a'), f('b')]);
    assert.equal(wb.ops.set.size, 0);
  });

  it('incr: integer deltas, negative ones included', () => {
    const wb = parsed(update({ incr: { hits: 1, credit: -3, big: Number.MAX_SAFE_INTEGER } }));
    assert.deepEqual([...wb.ops.incr], [[f('hits'), 1], [f('credit'), -3], [f('big'), Number.MAX_SAFE_INTEGER]]);
  });

  it('set, unset and incr together on different attributes', () => {
    const wb = parsed(update({ set: { a: 1 }, unset: ['b'], incr: { c: 2 } }));
    assert.deepEqual([...wb.ops.set], [[f('a'), '1']]);
    assert.deepEqual(wb.ops.unset, [f('b')]);
    assert.deepEqual([...wb.ops.incr], [[f('c'), 2]]);
    assert.equal(hasAttributeOps(wb.ops), true);
  });

  it('an empty object is a write-back with no operations', () => {
    const wb = parsed(update({}));
    assert.equal(hasAttributeOps(wb.ops), false);
    assert.equal(wb.login, null);
    assert.equal(wb.logout, false);
  });

  it('b64: form carries non-ASCII values and names', () => {
    const json = JSON.stringify({ set: { name: 'Zoë 日本 🍪', 'prénom': 'x' } });
    const wb = parsed({ 'x-session-update': `b64:${Buffer.from(json).toString('base64url')}` });
    assert.deepEqual([...wb.ops.set], [[f('name'), '"Zoë 日本 🍪"'], [f('prénom'), '"x"']]);
  });

  it('raw UTF-8 bytes on the wire are decoded as UTF-8', () => {
    const wb = parsed({ 'x-session-update': asWireText('{"set":{"name":"Zoë"}}') });
    assert.deepEqual([...wb.ops.set], [[f('name'), '"Zoë"']]);
  });

  it('surrounding whitespace is ignored', () => {
    const wb = parsed({ 'x-session-update': '  {"set":{"a":1}}  ' });
    assert.deepEqual([...wb.ops.set], [[f('a'), '1']]);
  });

  it('a header that arrives once as a one-element array is accepted', () => {
    const wb = parsed({ 'x-session-update': ['{"unset":["a"]}'] });
    assert.deepEqual(wb.ops.unset, [f('a')]);
  });

  it('a name of 256 characters is accepted', () => {
    const name = 'n'.repeat(256);
    assert.deepEqual([...parsed(update({ set: { [name]: 1 } })).ops.set.keys()], [f(name)]);
  });

  it('an update of exactly the size limit is accepted', () => {
    const base = '{"set":{"a":""}}';
    const value = `{"set":{"a":"${'x'.repeat(MAX_UPDATE_HEADER_BYTES - base.length)}"}}`;
    assert.equal(Buffer.byteLength(value), MAX_UPDATE_HEADER_BYTES);
    assert.equal(parsed({ 'x-session-update': value }).ops.set.size, 1);
  });
});

describe('parseWriteBack: scope', () => {
  it('maps every name to a field of the location scope via attributeField', () => {
    const wb = parsed(update({ set: { a: 1 }, unset: ['b'], incr: { c: 1 } }), 'shop');
    assert.deepEqual([...wb.ops.set.keys()], [attributeField('shop', 'a')]);
    assert.deepEqual(wb.ops.unset, [attributeField('shop', 'b')]);
    assert.deepEqual([...wb.ops.incr.keys()], [attributeField('shop', 'c')]);
  });

  it('keeps the same name in two scopes apart', () => {
    const shop = parsed(update({ set: { a: 1 } }), 'shop');
    const shared = parsed(update({ set: { a: 1 } }), '');
    assert.notDeepEqual([...shop.ops.set.keys()], [...shared.ops.set.keys()]);
  });
});

describe('parseWriteBack: accepted login and logout', () => {
  it('X-Session-Login binds to the principal, trimmed', () => {
    const wb = parsed({ 'x-session-login': '  alice@example.com ' });
    assert.equal(wb.login, 'alice@example.com');
    assert.equal(wb.logout, false);
    assert.equal(hasAttributeOps(wb.ops), false);
  });

  it('X-Session-Login decodes a UTF-8 principal', () => {
    assert.equal(parsed({ 'x-session-login': asWireText('zoë') }).login, 'zoë');
  });

  it('X-Session-Login decodes the b64: form to the same principal as raw UTF-8', () => {
    for (const principal of ['zoë', '김철수', 'a 🍪 b', 'alice', 'b64:literal']) {
      assert.equal(parsed({ 'x-session-login': `b64:${Buffer.from(principal).toString('base64url')}` }).login, principal);
    }
    const padded = Buffer.from('josé').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    assert.equal(parsed({ 'x-session-login': `b64:${padded}` }).login, 'josé', 'padding is accepted (Java and Python pad by default)');
  });

  it('a principal of 256 bytes of UTF-8 is accepted', () => {
    const principal = 'é'.repeat(128);
    assert.equal(parsed({ 'x-session-login': asWireText(principal) }).login, principal);
  });

  it('X-Session-Login comes with an update in the same response', () => {
    const wb = parsed({ 'x-session-login': 'alice', 'x-session-update': '{"set":{"role":"admin"}}' });
    assert.equal(wb.login, 'alice');
    assert.deepEqual([...wb.ops.set], [[f('role'), '"admin"']]);
  });

  it('X-Session-Logout accepts "1" and "true" in any case, trimmed', () => {
    for (const value of ['1', 'true', 'TRUE', 'True', ' 1 ']) {
      const wb = parsed({ 'x-session-logout': value });
      assert.equal(wb.logout, true, value);
      assert.equal(wb.login, null);
    }
  });
});

describe('parseWriteBack: refused X-Session-Update', () => {
  it('not JSON', () => {
    for (const value of ['{set:{}}', '{"set":', '', 'b64:', 'b64:!!!!', `b64:${Buffer.from('{"set"').toString('base64url')}`]) {
      assertRefused({ 'x-session-update': value });
    }
  });

  it('JSON that is not an object', () => {
    for (const value of ['[]', '[{"set":{}}]', '1', 'null', '"set"', 'true']) assertRefused({ 'x-session-update': value });
  });

  it('an unknown operation', () => {
    assertRefused(update({ add: { a: 1 } }));
    assertRefused(update({ set: { a: 1 }, delete: ['b'] }));
  });

  it('"set" that is not an object', () => {
    for (const set of [[1], 1, 'a', null, true]) assertRefused(update({ set }));
  });

  it('"unset" that is not an array of strings', () => {
    for (const unset of ['a', { a: 1 }, [1], ['a', null], null]) assertRefused(update({ unset }));
  });

  it('"incr" that is not an object', () => {
    for (const incr of [[1], 1, null]) assertRefused(update({ incr }));
  });

  it('"incr" with a delta that is not a safe integer', () => {
    for (const delta of [1.5, '1', null, true, [1], 2 ** 53, -(2 ** 53)]) assertRefused(update({ incr: { n: delta } }));
  });

  it('one attribute in two operations', () => {
    assertRefused(update({ set: { a: 1 }, unset: ['a'] }));
    assertRefused(update({ set: { a: 1 }, incr: { a: 1 } }));
    assertRefused(update({ unset: ['a'], incr: { a: 1 } }));
  });

  it('one attribute twice in "unset"', () => {
    assertRefused(update({ unset: ['a', 'a'] }));
  });

  it('an empty attribute name', () => {
    assertRefused(update({ set: { '': 1 } }));
    assertRefused(update({ unset: [''] }));
    assertRefused(update({ incr: { '': 1 } }));
  });

  it('an attribute name longer than 256 characters', () => {
    assertRefused(update({ set: { ['n'.repeat(257)]: 1 } }));
  });

  it('an attribute name with control characters', () => {
    for (const name of ['a\nb', 'a\rb', 'a\u0000b', '\t', 'del\u007f', '\u001b[31m', 'next\u0085line', 'c1\u009b', 'ls\u2028', 'ps\u2029']) {
      assertRefused(update({ set: { [name]: 1 } }));
      assertRefused(update({ unset: [name] }));
    }
  });

  it('raw bytes that are not UTF-8 (a Latin-1 value) are refused, not replaced', () => {
    assertRefused({ 'x-session-update': '{"set":{"name":"Jos\u00e9"}}' });
    assertRefused({ 'x-session-update': '{"set":{"caf\u00e9":1}}' });
    assertRefused({ 'x-session-update': `b64:${Buffer.from('{"set":{"name":"Jos\u00e9"}}', 'latin1').toString('base64url')}` });
  });

  it('an attribute name with a lone UTF-16 surrogate (it has no UTF-8 form)', () => {
    for (const name of ['\ud800', 'a\udfffb', '\udbff\ud800']) {
      assertRefused({ 'x-session-update': `{"set":{"${[...name].map((c) => `\\u${c.charCodeAt(0).toString(16)}`).join('')}":1}}` });
    }
    const pair = parsed({ 'x-session-update': '{"set":{"\\ud83c\\udf6a":1}}' });
    assert.deepEqual([...pair.ops.set.keys()], [f('🍪')], 'a surrogate pair is one character and fine');
  });

  it('the header sent twice', () => {
    assertRefused({ 'x-session-update': ['{"set":{"a":1}}', '{"set":{"b":1}}'] });
  });

  it('a header over the size limit is TOO_LARGE', () => {
    const value = `{"set":{"a":"${'x'.repeat(MAX_UPDATE_HEADER_BYTES)}"}}`;
    assertRefused({ 'x-session-update': value }, 'SG_WRITEBACK_TOO_LARGE');
  });

  it('a raw UTF-8 header under the size limit is not TOO_LARGE', () => {
    const wire = asWireText(JSON.stringify({ set: { a: 'é'.repeat(20_000) } }));
    assert.ok(wire.length < MAX_UPDATE_HEADER_BYTES);
    assert.equal(parsed({ 'x-session-update': wire }).ops.set.size, 1);
  });

  it('a b64: header over the size limit is TOO_LARGE', () => {
    const json = JSON.stringify({ set: { a: 'é'.repeat(MAX_UPDATE_HEADER_BYTES / 2) } });
    assertRefused({ 'x-session-update': `b64:${Buffer.from(json).toString('base64url')}` }, 'SG_WRITEBACK_TOO_LARGE');
  });
});

describe('parseWriteBack: refused login and logout', () => {
  it('X-Session-Login and X-Session-Logout in one response', () => {
    assertRefused({ 'x-session-login': 'alice', 'x-session-logout': '1' });
  });

  it('X-Session-Logout with a value other than "1" or "true"', () => {
    for (const value of ['0', 'false', 'yes', '', '2', '1, 1']) assertRefused({ 'x-session-logout': value });
  });

  it('X-Session-Logout sent twice', () => {
    assertRefused({ 'x-session-logout': ['1', '1'] });
  });

  it('X-Session-Login sent twice', () => {
    assertRefused({ 'x-session-login': ['alice', 'bob'] });
  });

  it('an empty X-Session-Login', () => {
    assertRefused({ 'x-session-login': '' });
    assertRefused({ 'x-session-login': '   ' });
  });

  it('an X-Session-Login longer than 256 bytes of UTF-8', () => {
    assertRefused({ 'x-session-login': 'a'.repeat(257) });
    assertRefused({ 'x-session-login': asWireText('é'.repeat(129)) });
  });

  it('an X-Session-Login whose bytes are not UTF-8 (Latin-1 from a Java or Python backend) is refused, not replaced', () => {
    // 'josé' as ISO-8859-1: the byte 0xE9 alone is not UTF-8. Replacing it with U+FFFD would merge josé and josè.
    for (const wire of ['jos\u00e9', 'jos\u00e8', 'caf\u00e9 au lait', '\u00ff', 'a\u00c3', '\u00ed\u00a0\u0080' /* a UTF-16 surrogate encoded as UTF-8 */]) {
      assertRefused({ 'x-session-login': wire });
    }
    assertRefused({ 'x-session-login': `b64:${Buffer.from('jos\u00e9', 'latin1').toString('base64url')}` });
  });

  it('an X-Session-Login whose b64: form is not base64url', () => {
    for (const value of ['b64:', 'b64:!!!!', 'b64:a', 'b64:YWxp Y2U', 'b64:YWxpY2U===', 'b64:YW+/']) assertRefused({ 'x-session-login': value });
  });

  it('an X-Session-Login with control characters', () => {
    assertRefused({ 'x-session-login': 'ali\u0000ce' });
    assertRefused({ 'x-session-login': 'ali\u007fce' });
  });

  it('a refused login refuses the update that came with it', () => {
    assertRefused({ 'x-session-login': '', 'x-session-update': '{"set":{"a":1}}' });
  });
});
