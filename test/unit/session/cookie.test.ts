import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CookieSigner, newHandle, setCookieName, setsSessionCookie, storageKeyOf } from '../../../gateway/session/cookie.js';

const CURRENT = 'current-secret-0123456789abcdef';
const OLD = 'old-secret-fedcba9876543210';
const BASE64URL_43 = /^[A-Za-z0-9_-]{43}$/;

/** Replace the character at `index` with a different one from the same alphabet. */
function replaceCharAt(text: string, index: number, replacement?: string): string {
  const current = text[index];
  const next = replacement ?? (current === 'A' ? 'B' : 'A');
  return text.slice(0, index) + next + text.slice(index + 1);
}

describe('CookieSigner.mint', () => {
  it('makes a value `<id>.<sig>` whose id is 256 bits of base64url', () => {
    const { id, value } = new CookieSigner([CURRENT]).mint();
    assert.match(id, BASE64URL_43);
    assert.equal(Buffer.from(id, 'base64url').length, 32);
    const [valueId, sig, ...rest] = value.split('.');
    assert.equal(valueId, id);
    assert.match(sig ?? '', BASE64URL_43);
    assert.deepEqual(rest, []);
  });

  it('makes a different id every time', () => {
    const signer = new CookieSigner([CURRENT]);
    const ids = new Set(Array.from({ length: 50 }, () => signer.mint().id));
    assert.equal(ids.size, 50);
  });

  it('refuses to be built without a secret', () => {
    assert.throws(() => new CookieSigner([]));
  });
});

describe('CookieSigner.verify', () => {
  it('returns the id of a value it minted (round trip)', () => {
    const signer = new CookieSigner([CURRENT]);
    const { id, value } = signer.mint();
    assert.equal(signer.verify(value), id);
  });

  it('returns the id to another signer holding the same secret', () => {
    const { id, value } = new CookieSigner([CURRENT]).mint();
    assert.equal(new CookieSigner([CURRENT]).verify(value), id);
  });

  it('rotation: a value signed with an old secret verifies while that secret is listed second', () => {
    const { id, value } = new CookieSigner([OLD]).mint();
    assert.equal(new CookieSigner([CURRENT, OLD]).verify(value), id);
  });

  it('rotation: a value signed with an old secret is refused once that secret is removed', () => {
    const { value } = new CookieSigner([OLD]).mint();
    assert.equal(new CookieSigner([CURRENT]).verify(value), null);
  });

  it('rotation: new values are signed with the first secret only', () => {
    const { id, value } = new CookieSigner([CURRENT, OLD]).mint();
    assert.equal(new CookieSigner([CURRENT]).verify(value), id);
    assert.equal(new CookieSigner([OLD]).verify(value), null);
  });

  it('refuses a value whose id was changed', () => {
    const signer = new CookieSigner([CURRENT]);
    const { value } = signer.mint();
    assert.equal(signer.verify(replaceCharAt(value, 0)), null);
    assert.equal(signer.verify(replaceCharAt(value, 42)), null);
  });

  it('refuses a value whose signature was changed', () => {
    const signer = new CookieSigner([CURRENT]);
    const { value } = signer.mint();
    assert.equal(signer.verify(replaceCharAt(value, 44)), null);
    assert.equal(signer.verify(replaceCharAt(value, 60)), null);
  });

  it('refuses an id paired with the signature of another id', () => {
    const signer = new CookieSigner([CURRENT]);
    const a = signer.mint();
    const b = signer.mint();
    assert.equal(signer.verify(`${a.id}.${b.value.slice(44)}`), null);
  });

  it('refuses a value of the wrong length', () => {
    const signer = new CookieSigner([CURRENT]);
    const { value } = signer.mint();
    assert.equal(signer.verify(value + 'A'), null);
    assert.equal(signer.verify(value.slice(0, -1)), null);
    assert.equal(signer.verify(value.slice(1)), null);
  });

  it('refuses an id with characters outside base64url', () => {
    const signer = new CookieSigner([CURRENT]);
    const { value } = signer.mint();
    for (const bad of ['+', '/', '=', ' ', '.', 'é']) {
      assert.equal(signer.verify(replaceCharAt(value, 5, bad)), null, `id with ${JSON.stringify(bad)}`);
    }
  });

  it('refuses a signature with characters outside base64', () => {
    const signer = new CookieSigner([CURRENT]);
    const { value } = signer.mint();
    assert.equal(signer.verify(replaceCharAt(value, 50, '!')), null);
    assert.equal(signer.verify(replaceCharAt(value, 50, '.')), null);
  });

  it('refuses a value without the dot', () => {
    const signer = new CookieSigner([CURRENT]);
    const { value } = signer.mint();
    assert.equal(signer.verify(value.replace('.', '')), null);
    assert.equal(signer.verify(replaceCharAt(value, 43, 'A')), null);
  });

  it('refuses an empty or missing value', () => {
    const signer = new CookieSigner([CURRENT]);
    assert.equal(signer.verify(undefined), null);
    assert.equal(signer.verify(''), null);
  });

  it('accepts exactly one spelling of a signature', () => {
    // 43 base64url characters carry 258 bits for a 256-bit MAC, and Node's base64url decoder also reads '+' and '/':
    // several spellings of one signature decode to the same bytes.
    const signer = new CookieSigner([CURRENT]);
    const { value } = signer.mint();
    const last = value[value.length - 1] ?? 'A';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1] ?? 'A';
    assert.equal(signer.verify(replaceCharAt(value, value.length - 1, sibling)), null);
  });
});

describe('storageKeyOf', () => {
  it('is deterministic', () => {
    const { id } = new CookieSigner([CURRENT]).mint();
    assert.equal(storageKeyOf(id), storageKeyOf(id));
  });

  it('differs from the id and from the key of another id', () => {
    const signer = new CookieSigner([CURRENT]);
    const a = signer.mint().id;
    const b = signer.mint().id;
    assert.notEqual(storageKeyOf(a), a);
    assert.notEqual(storageKeyOf(a), storageKeyOf(b));
    assert.ok(!storageKeyOf(a).includes(a));
  });
});

describe('newHandle', () => {
  it('is random and 128 bits of base64url', () => {
    const handles = new Set(Array.from({ length: 50 }, () => newHandle()));
    assert.equal(handles.size, 50);
    for (const h of handles) assert.match(h, /^[A-Za-z0-9_-]{22}$/);
  });
});

describe('setCookieName / setsSessionCookie', () => {
  it('reads the name as a browser does: before the first "=" of the part before the first ";", trimmed', () => {
    assert.equal(setCookieName('gsid=abc; Path=/'), 'gsid');
    assert.equal(setCookieName('  gsid \t=abc'), 'gsid');
    assert.equal(setCookieName('gsid'), 'gsid');
    assert.equal(setCookieName('gsid; Path=/'), 'gsid');
    assert.equal(setCookieName('=abc'), '');
    assert.equal(setCookieName('a=b=c'), 'a');
  });

  it("matches the session cookie's name in any case, whatever the attributes", () => {
    for (const value of ['gsid=x', 'GSID=x; Path=/admin', 'gSiD=; Max-Age=0', ' gsid = x; Domain=example.com', 'gsid']) {
      assert.equal(setsSessionCookie(value, 'gsid'), true, value);
    }
    for (const value of ['gsid2=x', 'xgsid=x', 'theme=gsid', '=gsid', '__Host-gsid=x', 'other=1; gsid=2']) {
      assert.equal(setsSessionCookie(value, 'gsid'), false, value);
    }
  });
});
