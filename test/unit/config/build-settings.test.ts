import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSettings } from '../../../gateway/config/build-settings.js';
import { parseConfigText } from '../../../gateway/config/parser.js';
import { defaults, type GatewaySettings } from '../../../gateway/config/settings.js';

function build(text: string) {
  return buildSettings(parseConfigText(text, 't.conf'), 't.conf');
}

function ok(text: string): GatewaySettings {
  const result = build(text);
  assert.deepEqual(result.problems, []);
  assert.ok(result.settings);
  return result.settings;
}

function problems(text: string): string[] {
  const result = build(text);
  assert.equal(result.settings, null);
  return result.problems;
}

const UP = 'upstream app { server 127.0.0.1:8081; }';

test('a minimal config gets nginx defaults', () => {
  const s = ok(`http { ${UP} server { listen 8080; location / { proxy_pass http://app; } } }`);
  assert.equal(s.file, 't.conf');
  assert.equal(s.servers.length, 1);
  const server = s.servers[0]!;
  assert.deepEqual(server.listen, [{ host: '0.0.0.0', port: 8080, defaultServer: false }]);
  assert.deepEqual(server.serverNames, ['']);
  const loc = server.locations[0]!;
  assert.equal(loc.match, 'prefix');
  assert.equal(loc.path, '/');
  assert.equal(loc.clientMaxBodyBytes, defaults.clientMaxBodyBytes);
  assert.deepEqual(loc.session, defaults.session);
  assert.deepEqual(loc.proxy, {
    upstream: 'app', uriPrefix: null, setHeaders: [], connectTimeoutMs: 60_000, readTimeoutMs: 60_000, sendTimeoutMs: 60_000,
    nextUpstream: ['error', 'timeout'], nextUpstreamTries: 0, nextUpstreamTimeoutMs: 0,
    redirects: [{ kind: 'prefix', from: 'http://app/', to: '/' }], hideHeaders: [...defaults.hiddenResponseHeaders],
    underscoresInHeaders: false, ignoreInvalidHeaders: true,
  });
  const up = s.upstreams.get('app')!;
  assert.deepEqual(up.servers, [{ name: '127.0.0.1:8081', host: '127.0.0.1', port: 8081, weight: 1, maxFails: 1, failTimeoutMs: 10_000, backup: false, down: false, maxConns: 0 }]);
  assert.equal(up.keepalive, defaults.upstream.keepalive);
  assert.deepEqual(up.health, defaults.health);
  assert.equal(up.source, 't.conf:1');
});

test('listen forms and tolerated parameters; no listen means *:80', () => {
  const s = ok(`http { ${UP}
    server { listen 127.0.0.1:8080 default_server; listen [::1]:8081 reuseport backlog=511; listen *:8082; listen localhost; server_name a.example b.example; }
    server { server_name _; } }`);
  assert.deepEqual(s.servers[0]!.listen, [
    { host: '127.0.0.1', port: 8080, defaultServer: true }, { host: '::1', port: 8081, defaultServer: false },
    { host: '0.0.0.0', port: 8082, defaultServer: false }, { host: 'localhost', port: 80, defaultServer: false },
  ]);
  assert.deepEqual(s.servers[0]!.serverNames, ['a.example', 'b.example']);
  assert.deepEqual(s.servers[1]!.listen, [{ host: '0.0.0.0', port: 80, defaultServer: false }]);
});

test('upstream servers with every parameter, keepalive and keepalive_timeout', () => {
  const s = ok(`http {
    upstream app {
      server 10.0.0.1:81 weight=3 max_fails=0 fail_timeout=30s;
      server 10.0.0.2 backup;
      server [::1]:82 down max_conns=10;
      keepalive 8;
      keepalive_timeout 3s;
      least_conn;
    }
    server { location / { proxy_pass http://app; } } }`);
  const up = s.upstreams.get('app')!;
  assert.deepEqual(up.servers.map((x) => [x.name, x.host, x.port, x.weight, x.maxFails, x.failTimeoutMs, x.backup, x.down, x.maxConns]), [
    ['10.0.0.1:81', '10.0.0.1', 81, 3, 0, 30_000, false, false, 0],
    ['10.0.0.2:80', '10.0.0.2', 80, 1, 1, 10_000, true, false, 0],
    ['[::1]:82', '::1', 82, 1, 1, 10_000, false, true, 10],
  ]);
  assert.equal(up.keepalive, 8);
  assert.equal(up.keepaliveTimeoutMs, 3_000);
  assert.deepEqual(s.ignored, ['t.conf:8: directive least_conn is ignored']);
});

test('locations: prefix, exact (both spellings), ^~, nested, and proxy_pass forms', () => {
  const s = ok(`http { ${UP}
    server {
      location / { proxy_pass http://app; }
      location = /exact { proxy_pass http://app/; }
      location =/glued { proxy_pass http://127.0.0.1:9000/base; }
      location ^~ /api/ {
        proxy_pass http://app;
        location /api/v2/ { proxy_pass http://localhost; }
        location /api/none/ { }
      }
    } }`);
  const locs = s.servers[0]!.locations;
  assert.deepEqual(locs.map((l) => [l.match, l.path, l.proxy?.upstream ?? null, l.proxy?.uriPrefix ?? null]), [
    ['prefix', '/', 'app', null],
    ['exact', '/exact', 'app', '/'],
    ['exact', '/glued', '127.0.0.1:9000', '/base'],
    ['prefix', '/api/', 'app', null],
    ['prefix', '/api/v2/', 'localhost:80', null],
    ['prefix', '/api/none/', null, null],
  ]);
  assert.deepEqual([...s.upstreams.keys()], ['app', '127.0.0.1:9000', 'localhost:80']);
  assert.deepEqual(s.upstreams.get('127.0.0.1:9000')!.servers.map((x) => [x.name, x.host, x.port]), [['127.0.0.1:9000', '127.0.0.1', 9000]]);
  assert.equal(s.upstreams.get('127.0.0.1:9000')!.source, 't.conf:5');
});

test('proxy_pass http://host:port reuses an explicit upstream of that name', () => {
  const s = ok(`http { upstream 127.0.0.1:7000 { server 127.0.0.1:7001; } server { location / { proxy_pass http://127.0.0.1:7000; } } }`);
  assert.deepEqual(s.upstreams.get('127.0.0.1:7000')!.servers.map((x) => x.name), ['127.0.0.1:7001']);
});

test('proxy_* and client_max_body_size inherit http → server → location; proxy_set_header replaces', () => {
  const s = ok(`http { ${UP}
    proxy_connect_timeout 5s; proxy_read_timeout 1m; proxy_send_timeout 30; client_max_body_size 10m;
    proxy_set_header X-A a; proxy_set_header X-B $host;
    proxy_next_upstream error timeout http_502 non_idempotent; proxy_next_upstream_tries 3;
    server {
      proxy_read_timeout 2m;
      location /inherit { proxy_pass http://app; }
      location /own {
        proxy_pass http://app; client_max_body_size 0; proxy_set_header Connection ""; proxy_next_upstream off;
        location /own/nested { proxy_pass http://app; proxy_send_timeout 500ms; }
      }
    }
    server { proxy_set_header X-C c; location / { proxy_pass http://app; proxy_connect_timeout 1h30m; } } }`);
  const [inherit, own, nested] = s.servers[0]!.locations;
  assert.deepEqual(inherit!.proxy, {
    upstream: 'app', uriPrefix: null, setHeaders: [['X-A', 'a'], ['X-B', '$host']], connectTimeoutMs: 5_000,
    readTimeoutMs: 120_000, sendTimeoutMs: 30_000, nextUpstream: ['error', 'timeout', 'http_502', 'non_idempotent'], nextUpstreamTries: 3,
    nextUpstreamTimeoutMs: 0, redirects: [{ kind: 'prefix', from: 'http://app/', to: '/' }], hideHeaders: [...defaults.hiddenResponseHeaders],
    underscoresInHeaders: false, ignoreInvalidHeaders: true,
  });
  assert.equal(inherit!.clientMaxBodyBytes, 10 * 1024 * 1024);
  assert.deepEqual(own!.proxy!.setHeaders, [['Connection', '']]);
  assert.deepEqual(own!.proxy!.nextUpstream, ['off']);
  assert.equal(own!.clientMaxBodyBytes, 0);
  assert.deepEqual(nested!.proxy!.setHeaders, [['Connection', '']]);
  assert.equal(nested!.proxy!.sendTimeoutMs, 500);
  assert.equal(nested!.proxy!.readTimeoutMs, 120_000);
  assert.equal(nested!.clientMaxBodyBytes, 0);
  const other = s.servers[1]!.locations[0]!;
  assert.deepEqual(other.proxy!.setHeaders, [['X-C', 'c']]);
  assert.equal(other.proxy!.connectTimeoutMs, 5_400_000);
  assert.equal(other.proxy!.readTimeoutMs, 60_000);
});

test('directive order inside a level does not matter (nginx merges after reading the block)', () => {
  const s = ok(`http { server { location / { proxy_pass http://app; } } client_max_body_size 2k; ${UP} }`);
  assert.equal(s.servers[0]!.locations[0]!.clientMaxBodyBytes, 2048);
});

test('$session_* variables in server and location; a location starts from its server', () => {
  const s = ok(`http { ${UP}
    server {
      set $session_cookie sid; set $session_idle_timeout 10m; set $session_absolute_timeout 8h; set $session_max_bytes 4k;
      set $session_max_per_principal 1; set $session_on_limit reject-new; set $session_cookie_secure always;
      set $session_create_rate 600r/m; set $session_create_burst 7; set $session_wait_replicas 1; set $session_wait_timeout 250ms;
      location / { proxy_pass http://app; }
      location /shop/ { proxy_pass http://app; set $session_scope shop; set $session_idle_timeout 5m; set $session_login_grace 0; }
      location /static/ { proxy_pass http://app; set $session off; }
      set $other_var 1;
    } }`);
  const [root, shop, stat] = s.servers[0]!.locations;
  const server = { enabled: true, cookieName: 'sid', idleTimeoutMs: 600_000, absoluteTimeoutMs: 28_800_000, maxBytes: 4096,
    maxPerPrincipal: 1, createRatePerSecond: 10, createBurst: 7, onLimit: 'reject-new', scope: '', cookieSecure: 'always', trustForwardedProto: false, loginGraceMs: 10_000,
    waitReplicas: 1, waitTimeoutMs: 250 };
  assert.deepEqual(root!.session, server);
  assert.deepEqual(shop!.session, { ...server, scope: 'shop', idleTimeoutMs: 300_000, loginGraceMs: 0 });
  assert.deepEqual(stat!.session, { ...server, enabled: false });
  // Any other `set` is nginx's: a variable the server's locations see (request-variables.ts), not an ignored line.
  assert.deepEqual(s.ignored, []);
  assert.deepEqual(shop!.sets.at(-1), ['session_login_grace', '0']);
  assert.ok(root!.sets.some(([name, value]) => name === 'other_var' && value === '1'));
});

test('$health_* and $slow_start in a server apply to the upstreams its locations proxy to', () => {
  const s = ok(`http { ${UP} upstream other { server 127.0.0.1:9; }
    server {
      set $health_check_path /ready; set $health_check_interval 5s; set $health_check_timeout 500ms;
      set $health_check_rise 1; set $health_check_fall 5; set $slow_start 0;
      location / { proxy_pass http://app; }
    }
    server { listen 81; location / { proxy_pass http://other; } } }`);
  assert.deepEqual(s.upstreams.get('app')!.health, { path: '/ready', intervalMs: 5_000, timeoutMs: 500, rise: 1, fall: 5, slowStartMs: 0 });
  assert.deepEqual(s.upstreams.get('other')!.health, defaults.health);
});

test('other nginx directives are ignored, each listed once at its first place', () => {
  const s = ok(`worker_rlimit_nofile 1024;
events { worker_connections 10; }
http { ${UP}
  gzip off; map $a $b { default 1; }
  server { gzip off; location / { proxy_pass http://app; proxy_http_version 1.1; proxy_buffering off; keepalive_timeout 5; } } }`);
  assert.deepEqual(s.ignored, [
    't.conf:1: directive worker_rlimit_nofile is ignored',
    't.conf:2: directive events is ignored',
    't.conf:4: directive gzip is ignored',
    't.conf:4: directive map is ignored',
    't.conf:5: directive proxy_http_version is ignored',
    't.conf:5: directive proxy_buffering is ignored',
    't.conf:5: directive keepalive_timeout is ignored',
  ]);
});

test('every problem is reported at once, sorted, with file:line', () => {
  const text = `server { }
http {
  upstream app { server 127.0.0.1:8081 weight=0; server 127.0.0.1:8082 bogus; keepalive x; }
  upstream empty { keepalive 2; }
  upstream app { server 127.0.0.1:1; }
  client_max_body_size 10q;
  proxy_read_timeout forever;
  listen 80;
  server {
    listen 127.0.0.1:8080;
    listen 127.0.0.1:8080;
    listen 99999;
    listen 8443 ssl;
    set $session_idle_timeout soon;
    set $session_bogus 1;
    set $health_check_rise 0;
    set $health_nope 1;
    location / { proxy_pass http://nowhere; set $health_check_fall 2; }
    location / { proxy_pass https://app; }
    location ~ \\.(php$ { proxy_pass http://app; }
    location @named { }
    location /x { proxy_pass http://app; proxy_pass http://app; proxy_connect_timeout 1s; proxy_connect_timeout 2s; }
    location /y { proxy_pass http://app; proxy_next_upstream http_501; proxy_next_upstream_tries -1; }
    location /z { proxy_pass http://$host; set $session_on_limit maybe; set $session_cookie "a b"; set $session_login_grace 2m; set $session_wait_replicas 1; }
    location = /e { location /e/in { } }
    location /w { location /v { } }
    proxy_pass http://app;
    set $session_max_bytes 0; set $session_wait_timeout 0; set $session_wait_replicas two;
  }
}
`;
  assert.deepEqual(problems(text), [
    't.conf:1: "server" directive is not allowed here',
    't.conf:3: invalid parameter "weight=0": weight must be an integer of at least 1',
    't.conf:3: invalid parameter "bogus": unknown parameter',
    't.conf:3: invalid value "x" in "keepalive" directive',
    't.conf:4: no servers are inside upstream "empty"',
    't.conf:5: duplicate upstream "app"',
    't.conf:6: invalid size "10q" in "client_max_body_size" directive',
    't.conf:7: invalid time "forever" in "proxy_read_timeout" directive',
    't.conf:8: "listen" directive is not allowed here',
    't.conf:11: duplicate listen 127.0.0.1:8080',
    't.conf:12: invalid port in "99999"',
    't.conf:13: "listen ... ssl" is not supported by the gateway (terminate TLS in front of it)',
    't.conf:14: "$session_idle_timeout" must be a time such as 30m, greater than 0, got "soon"',
    't.conf:15: unknown gateway variable "$session_bogus" (known: $session, $session_cookie, $session_idle_timeout, $session_absolute_timeout, $session_max_bytes, $session_max_per_principal, $session_create_rate, $session_create_burst, $session_on_limit, $session_scope, $session_trust_forwarded_proto, $session_cookie_secure, $session_wait_replicas, $session_wait_timeout, $session_login_grace)',
    't.conf:16: "$health_check_rise" must be a positive integer, greater than 0, got "0"',
    't.conf:17: unknown gateway variable "$health_nope" (known: $health_check_interval, $health_check_timeout, $health_check_rise, $health_check_fall, $health_check_path, $slow_start)',
    't.conf:18: "$health_check_fall" is allowed in "server" context only: it applies to the upstreams the server proxies to',
    't.conf:18: unknown upstream "nowhere" in "proxy_pass"',
    't.conf:19: duplicate location "/"',
    't.conf:19: https upstreams are not supported yet ("https://app")',
    't.conf:20: invalid regular expression "\\.(php$": Unterminated group',
    't.conf:21: named locations are not supported ("location @named"): only try_files and error_page reach them',
    't.conf:22: "proxy_connect_timeout" directive is duplicate',
    't.conf:22: "proxy_pass" directive is duplicate',
    't.conf:23: invalid value "http_501" in "proxy_next_upstream" (nginx has: error, timeout, invalid_header, http_500, http_502, http_503, http_504, http_403, http_404, http_429, non_idempotent, off)',
    't.conf:23: invalid number "-1" in "proxy_next_upstream_tries" directive',
    't.conf:24: "$session_on_limit" must be "evict-oldest" or "reject-new", got "maybe"',
    't.conf:24: "$session_cookie" is not a valid cookie name, got "a b"',
    't.conf:24: "$session_login_grace" must be a time such as 10s, at most 60s (0 = no alias of the pre-login id), got "2m"',
    't.conf:24: "$session_wait_replicas" is allowed in "server" context only: it applies to every commit of the server\'s sessions',
    't.conf:24: variables in "proxy_pass" are not supported ("http://$host")',
    't.conf:25: location "/e/in" cannot be inside the exact location "/e"',
    't.conf:26: location "/v" is outside location "/w"',
    't.conf:27: "proxy_pass" directive is not allowed here',
    't.conf:28: "$session_max_bytes" must be a size such as 8k, greater than 0, got "0"',
    't.conf:28: "$session_wait_timeout" must be a time such as 500ms, greater than 0 and at most 10s, got "0"',
    't.conf:28: "$session_wait_replicas" must be a number of replicas from 0 (no wait) to 16, got "two"',
  ]);
});

test('$gateway_request_id_header: a header name, in server context only', () => {
  const settings = ok('http { upstream app { server 127.0.0.1:1; } server { set $gateway_request_id_header X-Amzn-Trace-Id; location / { proxy_pass http://app; } } server { listen 81; } }');
  assert.equal(settings.servers[0]!.requestIdHeader, 'x-amzn-trace-id');
  assert.equal(settings.servers[1]!.requestIdHeader, undefined, 'unset: every id is fresh');
  assert.deepEqual(problems('http {\n server {\n set $gateway_request_id_header "X Request";\n location / { set $gateway_request_id_header X-Request-Id; }\n }\n}'), [
    't.conf:3: "$gateway_request_id_header" must be a header name such as X-Request-Id, got "X Request"',
    't.conf:4: "$gateway_request_id_header" is allowed in "server" context only: the id is fixed before a location is chosen',
  ]);
});

test('missing http block, empty http, and duplicate default servers', () => {
  assert.deepEqual(problems('events {}\n'), ['t.conf:1: no "http" block: the gateway needs http { server { … } }']);
  assert.deepEqual(problems('\nhttp { }\n'), ['t.conf:2: no "server" block inside "http"']);
  assert.deepEqual(problems(`http {\n server { listen 80 default_server; }\n server { listen *:80 default; }\n}`), [
    't.conf:3: a duplicate default server for 0.0.0.0:80 (the first is at t.conf:2)',
  ]);
  assert.deepEqual(problems('http {\n server;\n}\nhttp { server { } }'), ['t.conf:2: directive "server" has no opening "{"', 't.conf:4: "http" directive is duplicate']);
  assert.deepEqual(problems('http { server { listen 80 { } location / { proxy_pass a b; } } }'), [
    't.conf:1: directive "listen" is not terminated by ";"',
    't.conf:1: invalid number of arguments in "proxy_pass" directive',
  ]);
});

test('two servers that give one upstream different health settings are a problem', () => {
  assert.deepEqual(problems(`http { ${UP}
    server { listen 80; set $health_check_path /a; location / { proxy_pass http://app; } }
    server { listen 81; set $health_check_path /b; location / { proxy_pass http://app; } } }`), [
    't.conf:3: upstream "app" gets different health check settings here than from the server at t.conf:2',
  ]);
});

test('an upstream whose servers are all backup or down is a problem', () => {
  assert.deepEqual(problems('http { upstream u { server 127.0.0.1:1 down; server 127.0.0.1:2 backup; } server { location / { proxy_pass http://u; } } }'), [
    't.conf:1: upstream "u" has no primary server that is not down',
  ]);
});

test('an idle timeout longer than the absolute timeout is a problem at the location', () => {
  assert.deepEqual(problems(`http { ${UP}\n server { set $session_idle_timeout 2d;\n location / { proxy_pass http://app; }\n location /s { set $session off; } } }`), [
    't.conf:3: "$session_idle_timeout" is longer than "$session_absolute_timeout" in location "/"',
  ]);
});
