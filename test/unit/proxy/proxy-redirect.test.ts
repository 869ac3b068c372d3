import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RedirectRule } from '../../../gateway/config/settings.js';
import { absoluteLocation, redirectOrigin, rewriteLocation, rewriteRefresh, type RedirectContext } from '../../../gateway/proxy/proxy-redirect.js';

/** proxy_redirect's rewriting as nginx does it (ngx_http_proxy_rewrite_*), on values the differential suite does not reach. */
const ctx: RedirectContext = { expand: (t) => t.replaceAll('$host', 'site.example'), origin: 'http://site.example:8080' };
const rules: RedirectRule[] = [
  { kind: 'prefix', from: 'http://app/', to: '/' },
  { kind: 'regex', pattern: '^https?://(?<h>[a-z]+)\\.internal/(.*)$', caseless: false, to: 'https://$host/$1/$2' },
];

test('the first matching rule rewrites; a prefix must match byte for byte; a regex replaces the whole value', () => {
  assert.equal(rewriteLocation('http://app/a?b', rules, ctx), '/a?b');
  assert.equal(rewriteLocation('http://App/a', rules, ctx), null);
  assert.equal(rewriteLocation('https://db.internal/x/y', rules, ctx), 'https://site.example/db/x/y');
  assert.equal(rewriteLocation('http://elsewhere/', rules, ctx), null);
  assert.equal(rewriteLocation('http://app/a', [], ctx), null);
});

test('a kept Location is made absolute only when it starts with /', () => {
  assert.equal(absoluteLocation('/a', ctx), 'http://site.example:8080/a');
  assert.equal(absoluteLocation('https://x/', ctx), 'https://x/');
});

test('Refresh is rewritten after url= (any case), from there on, and never made absolute', () => {
  assert.equal(rewriteRefresh('0; URL=http://app/next', rules, ctx), '0; URL=/next');
  assert.equal(rewriteRefresh('5', rules, ctx), '5');
});

test("the origin is the request's host, else the listener's address; the scheme's default port is left out", () => {
  assert.equal(redirectOrigin('http', 'site.example', '127.0.0.1', 80), 'http://site.example');
  assert.equal(redirectOrigin('https', 'site.example', '127.0.0.1', 443), 'https://site.example');
  assert.equal(redirectOrigin('http', '', '::1', 8080), 'http://[::1]:8080');
});
