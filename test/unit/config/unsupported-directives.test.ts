import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildSettings } from '../../../gateway/config/build-settings.js';
import { parseConfigText } from '../../../gateway/config/parser.js';
import { UNSUPPORTED_DIRECTIVES } from '../../../gateway/config/unsupported-directives.js';
import { repoRoot } from '../../helpers/paths.js';

function build(text: string) {
  return buildSettings(parseConfigText(text, 't.conf'), 't.conf');
}

const UP = 'upstream app { server 127.0.0.1:8081; }';

describe('unsupported directives that restrict or reroute requests', () => {
  it('fail the config, each at its file:line, naming what nginx would do', () => {
    const result = build(`http { ${UP}
      limit_req_zone $binary_remote_addr zone=one:10m rate=1r/s;
      server {
        limit_conn addr 10;
        location / { proxy_pass http://app;
          limit_req zone=one;
          auth_request /auth;
          if ($http_user_agent ~ bot) { return 403; }
          rewrite ^/old/(.*)$ /new/$1 break;
          set_real_ip_from 10.0.0.0/8;
          error_page 404 /404.html;
          gzip on;
        }
        location /files/ { root /srv; try_files $uri =404; }
        location /php/ { fastcgi_pass 127.0.0.1:9000; alias /srv/php/; }
      } }`);
    assert.equal(result.settings, null);
    assert.deepEqual(result.problems, [
      't.conf:4: "limit_conn" is not supported by the gateway: in nginx it refuses requests over a number of connections (remove it, or run without it: set $gateway_ignore_unsupported on;)',
      't.conf:6: "limit_req" is not supported by the gateway: in nginx it refuses requests over a rate (remove it, or run without it: set $gateway_ignore_unsupported on;)',
      't.conf:7: "auth_request" is not supported by the gateway: in nginx it lets a subrequest decide whether each request is allowed (remove it, or run without it: set $gateway_ignore_unsupported on;)',
      't.conf:8: "if" is not supported by the gateway: in nginx it rewrites or answers requests on a condition (remove it, or run without it: set $gateway_ignore_unsupported on;)',
      't.conf:9: "rewrite" is not supported by the gateway: in nginx it rewrites the request URI (remove it, or run without it: set $gateway_ignore_unsupported on;)',
      't.conf:10: "set_real_ip_from" is not supported by the gateway: in nginx it replaces the client address that allow/deny see (realip) (remove it, or run without it: set $gateway_ignore_unsupported on;)',
      't.conf:11: "error_page" is not supported by the gateway: in nginx it sends errors to another URI or status (remove it, or run without it: set $gateway_ignore_unsupported on;)',
      't.conf:14: "root" is not supported by the gateway: in nginx it serves files from the file system here (remove it, or run without it: set $gateway_ignore_unsupported on;)',
      't.conf:14: "try_files" is not supported by the gateway: in nginx it serves files or rewrites to a fallback URI (remove it, or run without it: set $gateway_ignore_unsupported on;)',
      't.conf:15: "fastcgi_pass" is not supported by the gateway: in nginx it passes requests to a FastCGI server (remove it, or run without it: set $gateway_ignore_unsupported on;)',
      't.conf:15: "alias" is not supported by the gateway: in nginx it serves files from the file system here (remove it, or run without it: set $gateway_ignore_unsupported on;)',
    ]);
    assert.deepEqual(result.ignored, ['t.conf:2: directive limit_req_zone is ignored', 't.conf:12: directive gzip is ignored']);
  });

  it('root where every location proxies, and dav_methods off, change nothing and are ignored', () => {
    const result = build(`http { ${UP} root /var/www; server { root /srv; index index.html; location / { proxy_pass http://app; root /x; dav_methods off; } } }`);
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.ignored.map((l) => l.replace(/^t\.conf:\d+: /, '')), ['directive root is ignored', 'directive index is ignored', 'directive dav_methods is ignored']);
  });

  it('$gateway_ignore_unsupported on accepts them where it is set, listed and warned about', () => {
    const result = build(`http { ${UP}
      server {
        set $gateway_ignore_unsupported on;
        location / { proxy_pass http://app; limit_req zone=one; }
        location /strict/ { proxy_pass http://app; set $gateway_ignore_unsupported off; rewrite ^ /x; }
      }
      server { listen 81; location / { proxy_pass http://app; limit_req zone=one; } } }`);
    assert.deepEqual(result.problems, [
      't.conf:5: "rewrite" is not supported by the gateway: in nginx it rewrites the request URI (remove it, or run without it: set $gateway_ignore_unsupported on;)',
      't.conf:7: "limit_req" is not supported by the gateway: in nginx it refuses requests over a rate (remove it, or run without it: set $gateway_ignore_unsupported on;)',
    ]);
    assert.deepEqual(result.ignored, ['t.conf:4: directive limit_req is ignored although in nginx it refuses requests over a rate ($gateway_ignore_unsupported is on)']);
  });

  it('an http-level one is accepted only when every server says so', () => {
    const one = build(`http { ${UP} limit_rate 10k; server { set $gateway_ignore_unsupported on; location / { proxy_pass http://app; } } }`);
    assert.deepEqual(one.problems, []);
    assert.deepEqual(one.settings?.overridden, ['t.conf:1: directive limit_rate is ignored although in nginx it throttles how fast responses are sent ($gateway_ignore_unsupported is on)']);
    const two = build(`http { ${UP} limit_rate 10k; server { set $gateway_ignore_unsupported on; location / { proxy_pass http://app; } } server { listen 81; } }`);
    assert.equal(two.problems.length, 1);
    assert.match(two.problems[0]!, /^t\.conf:1: "limit_rate" is not supported/);
  });

  it('a misspelt or misvalued $gateway_* variable is a problem, not an ignored set', () => {
    assert.deepEqual(build(`http { ${UP} server { set $gateway_ignore_unsuported on; location / { proxy_pass http://app; set $gateway_ignore_unsupported yes; } } }`).problems, [
      't.conf:1: unknown gateway variable "$gateway_ignore_unsuported" (known: $gateway_ignore_unsupported, $gateway_request_id_header)',
      't.conf:1: "$gateway_ignore_unsupported" must be "on" or "off", got "yes"',
    ]);
  });

  it('the README lists every one of them', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const missing = UNSUPPORTED_DIRECTIVES.filter((name) => !readme.includes(`\`${name}\``));
    assert.deepEqual(missing, []);
  });
});
