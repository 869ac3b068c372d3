import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildSettings } from '../../../gateway/config/build-settings.js';
import { parseConfigText } from '../../../gateway/config/parser.js';
import type { GatewaySettings } from '../../../gateway/config/settings.js';

const dir = mkdtempSync(join(tmpdir(), 'sg-access-conf-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const main = join(dir, 'gateway.conf');
writeFileSync(join(dir, 'users'), 'alice:$apr1$saltsalt$AvsCmDMoG0SnIaLpX54vy0\n');

function build(text: string) {
  return buildSettings(parseConfigText(text, main), main);
}

function ok(text: string): GatewaySettings {
  const result = build(text);
  assert.deepEqual(result.problems, []);
  return result.settings!;
}

const UP = 'upstream app { server 127.0.0.1:8081; }';
const rulesOf = (s: GatewaySettings, i: number) => s.servers[0]!.locations[i]!.access.addressRules?.map((r) => `${r.action} ${r.text}`) ?? null;

describe('access directives in the config', () => {
  it('allow/deny: a level with any rule replaces the inherited list; nested locations inherit', () => {
    const s = ok(`http { ${UP} allow 10.0.0.0/8; deny all;
      server {
        location / { proxy_pass http://app; }
        location /open/ { proxy_pass http://app; allow all; }
        location /admin/ { proxy_pass http://app; deny 10.0.0.1; location /admin/deep/ { proxy_pass http://app; } }
      } }`);
    assert.deepEqual(rulesOf(s, 0), ['allow 10.0.0.0/8', 'deny all']);
    assert.deepEqual(rulesOf(s, 1), ['allow all']);
    assert.deepEqual(rulesOf(s, 2), ['deny 10.0.0.1']);
    assert.deepEqual(rulesOf(s, 3), ['deny 10.0.0.1']);
    assert.equal(s.servers[0]!.access.restricted, true, 'the server level applies where no location matches');
  });

  it('a location without any restriction costs nothing per request', () => {
    const s = ok(`http { ${UP} server { location / { proxy_pass http://app; satisfy any; auth_delay 1s; } } }`);
    assert.equal(s.servers[0]!.locations[0]!.access.restricted, false);
  });

  it('auth_basic and auth_basic_user_file are inherited each on its own; the file is relative to the main config', () => {
    const s = ok(`http { ${UP} auth_basic_user_file users;
      server { auth_basic "Staff only";
        location / { proxy_pass http://app; }
        location /pub/ { proxy_pass http://app; auth_basic off; }
        location /ops/ { proxy_pass http://app; auth_basic "Ops"; }
      } }`);
    const [root, pub, ops] = s.servers[0]!.locations;
    assert.deepEqual(root!.access.basicAuth, { realm: 'Staff only', userFile: join(dir, 'users'), source: `${main}:1` });
    assert.equal(pub!.access.basicAuth, null);
    assert.equal(pub!.access.restricted, false);
    assert.equal(ops!.access.basicAuth?.realm, 'Ops');
  });

  it('limit_except: listed methods pass, GET implies HEAD, the block inherits from its location', () => {
    const s = ok(`http { ${UP} server {
      location / { proxy_pass http://app; auth_basic "x"; auth_basic_user_file ${join(dir, 'users')}; satisfy any;
        limit_except GET OPTIONS { allow 192.168.0.0/16; deny all; } } } }`);
    const access = s.servers[0]!.locations[0]!.access;
    assert.deepEqual(access.limitExcept?.methods, ['GET', 'HEAD', 'OPTIONS']);
    assert.deepEqual(access.limitExcept?.addressRules?.map((r) => r.text), ['192.168.0.0/16', 'all']);
    assert.equal(access.limitExcept?.basicAuth?.realm, 'x');
    assert.equal(access.satisfy, 'any');
  });

  it('internal flows into nested locations; limit_except does not', () => {
    const s = ok(`http { ${UP} server { location /i/ { internal; proxy_pass http://app; limit_except GET { deny all; }
      location /i/n/ { proxy_pass http://app; } } } }`);
    const [outer, inner] = s.servers[0]!.locations;
    assert.equal(outer!.access.internal, true);
    assert.equal(inner!.access.internal, true);
    assert.equal(inner!.access.limitExcept, null);
  });

  it('reports malformed, misplaced and unusable access directives with file:line', () => {
    const { problems } = build(`http { ${UP}
      internal;
      server {
        satisfy some; auth_delay soon;
        location / { proxy_pass http://app; allow 10.0.0.256; deny; internal; internal;
          limit_except FETCH { deny all; satisfy any; proxy_pass http://app; access_log off; }
          limit_except GET { } }
        location /a/ { proxy_pass http://app; auth_basic "x"; }
        location /b/ { proxy_pass http://app; auth_basic "y"; auth_basic_user_file missing; }
        location /c/ { proxy_pass http://app; auth_basic "$host"; }
        location /d/ { proxy_pass http://app; limit_except GET; }
      } }`);
    assert.deepEqual(problems, [
      `${main}:2: "internal" directive is not allowed here`,
      `${main}:4: invalid value "some" in "satisfy" directive, it must be "all" or "any"`,
      `${main}:4: invalid value "soon" in "auth_delay" directive`,
      `${main}:5: invalid parameter "10.0.0.256"`,
      `${main}:5: invalid number of arguments in "deny" directive`,
      `${main}:5: "internal" directive is duplicate`,
      `${main}:6: invalid method "FETCH"`,
      `${main}:6: "satisfy" directive is not allowed here`,
      `${main}:6: "proxy_pass" inside "limit_except" is not supported by the gateway`,
      `${main}:7: "limit_except" directive is duplicate`,
      `${main}:8: "auth_basic" without an "auth_basic_user_file" (nginx would ask for no credentials): add the file, or write "auth_basic off;"`,
      `${main}:9: cannot read the "auth_basic_user_file" "${join(dir, 'missing')}" (ENOENT)`,
      `${main}:10: variables in "auth_basic" are not supported ("$host")`,
      `${main}:11: directive "limit_except" has no opening "{"`,
    ]);
  });

  it('checks the user file: each unusable line at its own file:line', () => {
    const users = join(dir, 'bad-users');
    writeFileSync(users, 'alice:$apr1$saltsalt$AvsCmDMoG0SnIaLpX54vy0\nbob:abGZIgVyRL4wQ\n');
    const empty = join(dir, 'empty-users');
    writeFileSync(empty, '# nobody yet\n');
    const { problems } = build(`http { ${UP} server { auth_basic "x";
      location / { proxy_pass http://app; auth_basic_user_file ${users}; }
      location /e/ { proxy_pass http://app; auth_basic_user_file ${empty}; } } }`);
    assert.deepEqual(problems, [
      `${users}:2: user "bob" has a DES crypt() hash (htpasswd -d; only 8 characters of a password count), which the gateway cannot verify (use htpasswd -B)`,
      `${empty}:1: the user file has no users: nobody could log in`,
    ]);
  });

  it('notes low address bits, as nginx warns', () => {
    const result = build(`http { ${UP} server { location / { proxy_pass http://app; allow 10.1.2.3/8; } } }`);
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.ignored, [`${main}:1: low address bits of 10.1.2.3/8 are meaningless (read as the network it is in, as nginx does)`]);
  });
});
