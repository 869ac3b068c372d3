import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSettings } from '../../../gateway/config/build-settings.js';
import { parseConfigText } from '../../../gateway/config/parser.js';
import { findNginx, nginxTest, NGINX_SCRATCH_DIRECTIVES } from '../../helpers/nginx-process.js';

/**
 * `session-gateway check` and `nginx -t` on the same text: for variables, regular expressions and `return`, what
 * nginx refuses the gateway refuses with the directive's file:line, and what nginx accepts the gateway accepts.
 */
const nginx = findNginx();

function config(server: string, http = ''): string {
  return `events {}\nhttp {\n${NGINX_SCRATCH_DIRECTIVES}\nupstream app { server 127.0.0.1:9; }\n${http}\nserver {\nlisten 127.0.0.1:18099;\n${server}\n}\n}\n`;
}

function gatewayProblems(text: string): string[] {
  return buildSettings(parseConfigText(text, 't.conf'), 't.conf').problems;
}

/** Both refuse; the gateway's problem is at `line` (of the server block's text, counted from the file's start). */
function bothRefuse(server: string, expected: RegExp, http = ''): void {
  const text = config(server, http);
  if (nginx) assert.equal(nginxTest(nginx, text).ok, false, `nginx -t accepts:\n${text}`);
  const problems = gatewayProblems(text);
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0]!, expected);
}

function bothAccept(server: string, http = ''): void {
  const text = config(server, http);
  if (nginx) {
    const t = nginxTest(nginx, text);
    assert.equal(t.ok, true, t.output);
  }
  assert.deepEqual(gatewayProblems(text), []);
}

describe('check agrees with nginx -t', () => {
  it('an unknown variable in proxy_set_header fails, with file:line', () => {
    bothRefuse('location / { proxy_set_header X-A $no_such_thing; proxy_pass http://app; }', /^t\.conf:8: unknown "no_such_thing" variable$/);
  });

  it('an unknown variable in return, braced', () => {
    bothRefuse('location / { return 200 "a ${nope}b"; }', /^t\.conf:8: unknown "nope" variable$/);
  });

  it('an unclosed ${', () => {
    bothRefuse('location / { return 200 "${host"; }', /^t\.conf:8: the closing bracket in "host" variable is missing$/);
  });

  it('the variables nginx has and the gateway computes are accepted', () => {
    bothAccept(`location / { proxy_set_header X-A "$host:$server_port $uri $args $is_args $arg_q $cookie_sid $http_x_y $request_id $remote_port";
      proxy_set_header X-B "$server_name $server_addr $document_uri $query_string $request_method $request_uri $scheme $http_host $content_type $content_length";
      proxy_pass http://app; }`);
  });

  it('a variable nginx has but the gateway does not compute fails, instead of sending ""', () => {
    const problems = gatewayProblems(config('location / { proxy_set_header X-S $upstream_addr; proxy_pass http://app; }'));
    assert.deepEqual(problems, ['t.conf:8: variable "$upstream_addr" is not supported by the gateway here']);
  });

  it('a variable set anywhere, a named capture of any regex, a map target: all defined', () => {
    bothAccept(`location /a { set $who me; return 200 "$who $tenant $1"; }
      location ~ ^/t/(?<tenant>\\w+) { proxy_set_header X-T $tenant; proxy_pass http://app; }
      location /b { proxy_set_header Connection $connection_upgrade; proxy_pass http://app; }`, 'map $http_upgrade $connection_upgrade { default upgrade; "" ""; }');
  });

  it('a map target other than the WebSocket idiom is refused: the gateway does not evaluate map', () => {
    const problems = gatewayProblems(config('location / { proxy_set_header X-M $mapped; proxy_pass http://app; }', 'map $uri $mapped { default a; }'));
    assert.deepEqual(problems, ['t.conf:8: variable "$mapped" comes from the "map" at t.conf:5, which the gateway does not evaluate']);
  });

  it('a location regex that does not compile', () => {
    bothRefuse('location ~ ^/(a { proxy_pass http://app; }', /^t\.conf:8: invalid regular expression "\^\/\(a": Unterminated group$/);
  });

  it('a server_name regex that does not compile', () => {
    bothRefuse('server_name "~^(a";', /^t\.conf:8: invalid regular expression "\^\(a": Unterminated group$/);
  });

  it('PCRE syntax JavaScript would read differently is refused, though nginx accepts it', () => {
    const problems = gatewayProblems(config('location ~ ^\\A/x { proxy_pass http://app; }'));
    assert.deepEqual(problems, ['t.conf:8: regular expression "^\\A/x" uses the PCRE escape "\\A", which JavaScript\'s RegExp does not support']);
    if (nginx) assert.equal(nginxTest(nginx, config('location ~ ^\\A/x { proxy_pass http://app; }')).ok, true);
  });

  it('PCRE named groups in every spelling are accepted', () => {
    bothAccept(`location ~ ^/(?P<one>a)/(?'two'b)/(?<three>c) { return 200 "$one $two $three"; }`);
  });

  it('a URI part in proxy_pass of a regex location', () => {
    bothRefuse('location ~ ^/x { proxy_pass http://app/y; }', /^t\.conf:8: "proxy_pass" cannot have URI part in location given by regular expression$/);
  });

  it('return: a code that is not a number, a code over 999, too many arguments', () => {
    bothRefuse('location / { return abc; }', /^t\.conf:8: invalid return code "abc"$/);
    bothRefuse('location / { return 1000; }', /^t\.conf:8: invalid return code "1000"$/);
    bothRefuse('location / { return 200 a b; }', /^t\.conf:8: invalid number of arguments in "return" directive$/);
  });

  it('return in every form nginx accepts', () => {
    bothAccept('return 301 https://$host$request_uri; location / { return 200; } location /b { return https://x.example$uri; } location /c { return 444; }');
  });

  it('absolute_redirect, port_in_redirect, server_name_in_redirect take on or off', () => {
    bothAccept('absolute_redirect off; location / { port_in_redirect off; server_name_in_redirect on; return 301 /x; }');
    bothRefuse('location / { absolute_redirect maybe; return 301 /x; }', /^t\.conf:8: invalid value "maybe" in "absolute_redirect" directive, it must be "on" or "off"$/);
  });

  it('a name a second server on the address repeats is noted as nginx warns, not a problem', () => {
    const text = config('server_name a.test *.b.test; } server { listen 127.0.0.1:18099; server_name A.test *.b.test other.test; } server { listen 127.0.0.1:18100; server_name a.test;');
    const result = buildSettings(parseConfigText(text, 't.conf'), 't.conf');
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.ignored.filter((l) => l.includes('conflicting')), [
      't.conf:8: conflicting server name "a.test" on 127.0.0.1:18099, ignored',
      't.conf:8: conflicting server name "*.b.test" on 127.0.0.1:18099, ignored',
    ]);
    if (nginx) assert.match(nginxTest(nginx, text).output, /conflicting server name "a\.test" on 127\.0\.0\.1:18099, ignored/);
  });

  it('an invalid wildcard server name', () => {
    const problems = gatewayProblems(config('server_name www.*.example;'));
    assert.deepEqual(problems, ['t.conf:8: invalid server name or wildcard "www.*.example"']);
  });
});
