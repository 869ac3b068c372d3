import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { escapeUriPath, forwardedTarget, normalizePath, normalizePathFully, parseRequestUri } from '../../../gateway/proxy/request-uri.js';

/** `$uri` and `$args` for a request-target; every expectation here is what nginx 1.22 answered for the same target. */
function uriOf(target: string): string | null {
  const parsed = parseRequestUri(target);
  return parsed === null ? null : `${parsed.uri} ${parsed.args}`.trimEnd();
}

describe('parseRequestUri: nginx $uri', () => {
  it('resolves dot segments, plain or %-encoded, and merges slashes', () => {
    assert.equal(uriOf('/a/../b'), '/b');
    assert.equal(uriOf('/a/%2e%2e/b'), '/b');
    assert.equal(uriOf('/a/..%2fb'), '/b');
    assert.equal(uriOf('/a/./b/.'), '/a/b/');
    assert.equal(uriOf('/a//b///c'), '/a/b/c');
    assert.equal(uriOf('/a/b/%2e'), '/a/b/');
    assert.equal(uriOf('/a/.../b'), '/a/.../b');
    assert.equal(uriOf('/a/b/..#f'), '/a/');
  });

  it('decodes every %XX, but a decoded %, # or ? stays data', () => {
    assert.equal(uriOf('/%25%3F%23x?y#z'), '/%?#x y');
    assert.equal(uriOf('/caf%C3%A9'), '/caf\u00c3\u00a9');
    assert.equal(uriOf('/a%2Fb'), '/a/b');
  });

  it('splits the arguments off, without the fragment, and resolves a dot segment before them', () => {
    assert.equal(uriOf('/a/..?q'), '/ q');
    assert.equal(uriOf('/x?a=1&b=%2F#frag'), '/x a=1&b=%2F');
    assert.equal(uriOf('/x/.?q'), '/x/ q');
  });

  it('refuses a path above the root, a bad escape and a decoded NUL (nginx: 400)', () => {
    for (const bad of ['/..', '/a/../..', '/a%2F..%2F..%2Fb', '/.%2e/', '/%00', '/%zz', '/a%2', '/a%']) assert.equal(uriOf(bad), null, bad);
  });

  it('takes the host and path of an absolute-form target', () => {
    const parsed = parseRequestUri('http://Ex.COM:81/p/../q?x');
    assert.deepEqual(parsed, { uri: '/q', args: 'x', quoted: false, unparsed: '/p/../q?x', host: 'Ex.COM:81' });
    assert.equal(parseRequestUri('http://example.com')?.uri, '/');
  });

  it('refuses what is neither origin- nor absolute-form', () => {
    assert.equal(parseRequestUri('*'), null);
    assert.equal(parseRequestUri('example.com:443'), null);
  });

  it('marks a target with %-escapes as quoted', () => {
    assert.equal(normalizePath('/a%20b')?.quoted, true);
    assert.equal(normalizePath('/a//b')?.quoted, false);
  });
});

describe('forwardedTarget: what proxy_pass sends', () => {
  it('without a URI part: the request-target as the client sent it', () => {
    assert.equal(forwardedTarget(parseRequestUri('/api/../x?a=1')!, '/api/', null), '/api/../x?a=1');
  });

  it('with a URI part: the normalised path with the location prefix replaced, then the arguments', () => {
    assert.equal(forwardedTarget(parseRequestUri('/api/v1//users/./1?x=%2F')!, '/api/', '/internal/'), '/internal/v1/users/1?x=%2F');
    assert.equal(forwardedTarget(parseRequestUri('/api/x?')!, '/api/', '/'), '/x');
  });

  it('escapes the decoded path again when the client used %-escapes', () => {
    assert.equal(forwardedTarget(parseRequestUri('/api/a%20b%3Fc%25')!, '/api/', '/v2/'), '/v2/a%20b%3Fc%25');
    assert.equal(forwardedTarget(parseRequestUri('/api/caf%C3%A9')!, '/api/', '/'), '/caf%C3%A9');
  });
});

describe('escapeUriPath', () => {
  it('escapes what nginx NGX_ESCAPE_URI escapes and nothing else', () => {
    assert.equal(escapeUriPath('/a b"#%<>?\\^`{|}\x7f\x01'), '/a%20b%22%23%25%3C%3E%3F%5C%5E%60%7B%7C%7D%7F%01');
    assert.equal(escapeUriPath("/AZaz09-._~!$&'()*+,;=:@[]"), "/AZaz09-._~!$&'()*+,;=:@[]");
  });
});

describe('normalizePath: the shortcut for paths that need no work', () => {
  it('gives the full state machine\'s answer for every path (slashes, dots, escapes, ? and #)', () => {
    const alphabet = ['/', '/', '.', '.', '%', '2', 'e', 'E', 'f', 'F', '0', 'a', '?', '#', '=', '&'];
    fc.assert(fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 24 }), (chars) => {
      const path = `/${chars.join('')}`;
      assert.deepEqual(normalizePath(path), normalizePathFully(path), path);
    }), { seed: 0x5e55_1008, numRuns: 5_000 });
  });
});

describe('parseRequestUri: its one-pass shortcut', () => {
  it('gives the full state machine\'s answer for every origin-form target, and refuses a control character anywhere', () => {
    const alphabet = ['/', '/', '.', '.', '%', '2', 'e', 'f', '0', 'a', '?', '#', '=', ' ', '\x7f', '\x01'];
    fc.assert(fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 24 }), (chars) => {
      const path = `/${chars.join('')}`;
      const full = /[\x00-\x20\x7f]/.test(path) ? null : normalizePathFully(path);
      assert.deepEqual(parseRequestUri(path), full && { ...full, unparsed: path, host: null }, path);
    }), { seed: 0x5e55_1009, numRuns: 5_000 });
  });
});
