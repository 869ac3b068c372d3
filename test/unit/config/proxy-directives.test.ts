import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSettings } from '../../../gateway/config/build-settings.js';
import { parseConfigText } from '../../../gateway/config/parser.js';
import type { GatewaySettings } from '../../../gateway/config/settings.js';

/** The upstream-facing directives' inheritance and nginx's own refusals (what `nginx -t` says, checked on 1.22). */
function build(text: string) {
  return buildSettings(parseConfigText(text, 't.conf'), 't.conf');
}

function ok(text: string): GatewaySettings {
  const result = build(text);
  assert.deepEqual(result.problems, []);
  return result.settings!;
}

const UP = 'upstream app { server 127.0.0.1:8081; }';

test('proxy_redirect: the implicit default per location, an explicit default where it is written, off, inheritance', () => {
  const s = ok(`http { ${UP} server {
    location / { proxy_pass http://app; }
    location /m/ { proxy_pass http://app/inner/; }
    location /d/ { proxy_pass http://app/x/; proxy_redirect default; proxy_redirect ~*^http://(a)/ /$1/;
      location /d/n/ { proxy_pass http://app/other/; } }
    location /off/ { proxy_redirect off; proxy_pass http://app; }
  } }`);
  const [root, mapped, explicit, nested, off] = s.servers[0]!.locations.map((l) => l.proxy!.redirects);
  assert.deepEqual(root, [{ kind: 'prefix', from: 'http://app/', to: '/' }]);
  assert.deepEqual(mapped, [{ kind: 'prefix', from: 'http://app/inner/', to: '/m/' }]);
  const expected = [{ kind: 'prefix', from: 'http://app/x/', to: '/d/' }, { kind: 'regex', pattern: '^http://(a)/', caseless: true, to: '/$1/' }];
  assert.deepEqual(explicit, expected);
  // nginx resolves `default` where it is written: the nested location keeps the outer location's meaning.
  assert.deepEqual(nested, expected);
  assert.deepEqual(off, []);
});

test('add_header, proxy_hide_header and proxy_pass_header replace the inherited list at a level that has any', () => {
  const s = ok(`http { ${UP} add_header X-A a; proxy_hide_header X-Secret; server {
    location / { proxy_pass http://app; }
    location /own/ { add_header X-B b always; proxy_pass_header Server; proxy_hide_header X-Other; proxy_pass http://app; }
  } }`);
  const [root, own] = s.servers[0]!.locations;
  assert.deepEqual(root!.addHeaders, [{ name: 'X-A', value: 'a', always: false }]);
  assert.ok(root!.proxy!.hideHeaders.includes('x-secret') && root!.proxy!.hideHeaders.includes('server'));
  assert.deepEqual(own!.addHeaders, [{ name: 'X-B', value: 'b', always: true }]);
  assert.ok(!own!.proxy!.hideHeaders.includes('x-secret') && own!.proxy!.hideHeaders.includes('x-other'));
  assert.ok(!own!.proxy!.hideHeaders.includes('server'));
});

test('header-name rules and next-upstream values are read per server', () => {
  const s = ok(`http { ${UP} ignore_invalid_headers off; server { underscores_in_headers on;
    proxy_next_upstream error http_429 http_403 non_idempotent; proxy_next_upstream_timeout 5s;
    location / { proxy_pass http://app; } } }`);
  const proxy = s.servers[0]!.locations[0]!.proxy!;
  assert.equal(proxy.underscoresInHeaders, true);
  assert.equal(proxy.ignoreInvalidHeaders, false);
  assert.deepEqual(proxy.nextUpstream, ['error', 'http_429', 'http_403', 'non_idempotent']);
  assert.equal(proxy.nextUpstreamTimeoutMs, 5_000);
});

test("nginx's refusals of these directives, each with its line", () => {
  const result = build(`http { ${UP}
    proxy_redirect default;
    server {
      location /a { proxy_redirect default; proxy_pass http://app; }
      location /b { proxy_pass http://app; proxy_redirect http://a/ /b/; proxy_redirect off; }
      location /c { proxy_pass http://app; proxy_redirect sideways; proxy_redirect ~( /x; }
      location /d { proxy_pass http://app; add_header X a sometimes; underscores_in_headers on; }
      underscores_in_headers maybe;
      location /e { proxy_pass http://app; proxy_next_upstream_timeout soon; proxy_next_upstream off error; }
    } }`);
  assert.equal(result.settings, null);
  assert.deepEqual(result.problems, [
    't.conf:2: "proxy_redirect default" should be placed after the "proxy_pass" directive',
    't.conf:4: "proxy_redirect default" should be placed after the "proxy_pass" directive',
    't.conf:5: "proxy_redirect" directive is duplicate',
    't.conf:6: invalid parameter "sideways" in "proxy_redirect" directive',
    't.conf:6: pattern "(" in "proxy_redirect" does not compile: Invalid regular expression: /(/: Unterminated group',
    't.conf:7: invalid value "sometimes" in "add_header" directive',
    't.conf:7: "underscores_in_headers" directive is not allowed here',
    't.conf:8: invalid value "maybe" in "underscores_in_headers" directive, it must be "on" or "off"',
    't.conf:9: invalid time "soon" in "proxy_next_upstream_timeout" directive',
  ]);
});
