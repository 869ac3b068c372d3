import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  connectionTokensOf,
  isHopByHop,
  isSessionHeader,
  withoutCookie,
} from '../../../gateway/proxy/headers.js';

const none: ReadonlySet<string> = new Set();

describe('isHopByHop', () => {
  it('is true for every RFC 9110 hop-by-hop field', () => {
    for (const name of ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']) {
      assert.equal(isHopByHop(name, none), true, name);
    }
  });

  it('is false for end-to-end fields', () => {
    for (const name of ['content-type', 'content-length', 'cookie', 'host', 'x-forwarded-for', 'trailers']) {
      assert.equal(isHopByHop(name, none), false, name);
    }
  });

  it('is true for a field the Connection header names', () => {
    const tokens = connectionTokensOf('close, X-Internal-Trace');
    assert.equal(isHopByHop('x-internal-trace', tokens), true);
    assert.equal(isHopByHop('x-other', tokens), false);
  });
});

describe('connectionTokensOf', () => {
  it('lower-cases and trims every comma-separated token', () => {
    assert.deepEqual([...connectionTokensOf(' Keep-Alive ,X-Foo,  ,upgrade')], ['keep-alive', 'x-foo', 'upgrade']);
  });

  it('reads every Connection header when it came more than once', () => {
    assert.deepEqual([...connectionTokensOf(['close', 'X-A, x-b'])], ['close', 'x-a', 'x-b']);
  });

  it('is empty without a Connection header', () => {
    assert.equal(connectionTokensOf(undefined).size, 0);
    assert.equal(connectionTokensOf('').size, 0);
  });
});

describe('isSessionHeader', () => {
  it('is true for every name starting with x-session', () => {
    for (const name of ['x-session', 'x-session-update', 'x-session-login', 'x-session-logout', 'x-session-anything', 'x-sessionid']) {
      assert.equal(isSessionHeader(name), true, name);
    }
  });

  it('is false for other names', () => {
    for (const name of ['', 'x', 'x-sess', 'x-sessio', 'session', 'x-request-id', 'cookie', 'y-session', 'xx-session']) {
      assert.equal(isSessionHeader(name), false, name);
    }
  });
});

describe('withoutCookie', () => {
  it('removes the named cookie and keeps the others in order', () => {
    assert.equal(withoutCookie('a=1; gsid=abc.def; b=2', 'gsid'), 'a=1; b=2');
  });

  it('keeps the other cookies byte for byte', () => {
    const others = ['q="quoted value"', 'e=', 'eq=x=y==', 'pct=%20%3B', 'u=caf\u00c3\u00a9', 'Case=Sensitive'];
    assert.equal(withoutCookie(['gsid=abc.def', ...others].join('; '), 'gsid'), others.join('; '));
  });

  it('removes the cookie wherever it is, with or without spaces around the separators', () => {
    assert.equal(withoutCookie('gsid=x;a=1', 'gsid'), 'a=1');
    assert.equal(withoutCookie('a=1;gsid=x', 'gsid'), 'a=1');
    assert.equal(withoutCookie('a=1 ;  gsid=x ; b=2', 'gsid'), 'a=1; b=2');
  });

  it('removes every copy of the cookie', () => {
    assert.equal(withoutCookie('gsid=one; a=1; gsid=two', 'gsid'), 'a=1');
  });

  it('keeps cookies whose name only contains the name, or whose value does', () => {
    assert.equal(withoutCookie('xgsid=1; gsid=2; gsidx=3; v=gsid', 'gsid'), 'xgsid=1; gsidx=3; v=gsid');
  });

  it('keeps a cookie whose name differs only in case', () => {
    assert.equal(withoutCookie('GSID=1; gsid=2', 'gsid'), 'GSID=1');
  });

  it('returns the header unchanged when the cookie is absent', () => {
    const header = 'a=1;b=2;  c=3';
    assert.equal(withoutCookie(header, 'gsid'), header);
  });

  it('returns null when no cookie is left', () => {
    assert.equal(withoutCookie('gsid=abc.def', 'gsid'), null);
    assert.equal(withoutCookie('gsid=a; gsid=b;', 'gsid'), null);
  });
});

describe('withoutCookie: one cookie alone', () => {
  /** The general rule (split, drop the name, trim, join), which the one-cookie shortcut must equal. */
  function byReference(header: string, name: string): string | null {
    if (!header.includes(name)) return header;
    const kept = header.split(';').filter((pair) => {
      const eq = pair.indexOf('=');
      return (eq === -1 ? pair : pair.slice(0, eq)).trim() !== name;
    }).map((pair) => pair.trim()).filter(Boolean);
    return kept.length > 0 ? kept.join('; ') : null;
  }

  it('gives the general rule\'s answer for any header', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom('sg', 's', 'g', '=', ';', ' ', 'x', '1'), { maxLength: 14 }), (chars) => {
      const header = chars.join('');
      assert.equal(withoutCookie(header, 'sg'), byReference(header, 'sg'), JSON.stringify(header));
    }), { seed: 0x5e55_100b, numRuns: 5_000 });
  });
});
