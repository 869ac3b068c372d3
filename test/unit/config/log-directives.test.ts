import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSettings } from '../../../gateway/config/build-settings.js';
import { parseConfigText } from '../../../gateway/config/parser.js';
import type { GatewaySettings } from '../../../gateway/config/settings.js';

const build = (text: string) => buildSettings(parseConfigText(text, '/etc/sg/t.conf'), '/etc/sg/t.conf');

function ok(text: string): GatewaySettings {
  const result = build(text);
  assert.deepEqual(result.problems, []);
  return result.settings!;
}

const UP = 'upstream app { server 127.0.0.1:8081; }';
const paths = (targets: Array<{ path: string; format: { name: string } }> | undefined) => (targets ?? []).map((t) => `${t.path} ${t.format.name}`);

describe('log_format and access_log as nginx reads them', () => {
  it('without any access_log: the gateway\'s json line on stdout, for every location and the server', () => {
    const s = ok(`http { ${UP} server { location / { proxy_pass http://app; } } }`);
    assert.deepEqual(paths(s.servers[0]!.accessLog), ['/dev/stdout json']);
    assert.deepEqual(paths(s.servers[0]!.locations[0]!.accessLog), ['/dev/stdout json']);
  });

  it('inherits level by level; a level with any access_log replaces the list; off is none', () => {
    const s = ok(`http { ${UP}
      log_format short '$status $request';
      access_log logs/a.log short; access_log /var/log/b.log;
      server {
        location / { proxy_pass http://app; }
        location /own/ { access_log /var/log/own.log short; proxy_pass http://app; location /own/deep/ { proxy_pass http://app; } }
        location /off/ { access_log off; proxy_pass http://app; }
      } }`);
    const [root, own, deep, off] = s.servers[0]!.locations;
    assert.deepEqual(paths(root!.accessLog), ['/etc/sg/logs/a.log short', '/var/log/b.log combined']);
    assert.deepEqual(paths(own!.accessLog), ['/var/log/own.log short']);
    assert.deepEqual(paths(deep!.accessLog), ['/var/log/own.log short']);
    assert.deepEqual(off!.accessLog, []);
  });

  it('access_log inside limit_except: the block\'s own list over the location\'s, none when it has no access_log', () => {
    const s = ok(`http { ${UP}
      access_log /var/log/all.log;
      server {
        location /w/ { limit_except GET { deny all; access_log /var/log/w.log; access_log /var/log/w2.log; } proxy_pass http://app; }
        location /q/ { access_log /var/log/q.log; limit_except GET { access_log off; } proxy_pass http://app; }
        location /plain/ { limit_except GET { deny all; } proxy_pass http://app; }
      } }`);
    const [w, q, plain] = s.servers[0]!.locations;
    assert.deepEqual(paths(w!.accessLog), ['/var/log/all.log combined']);
    assert.deepEqual(paths(w!.limitExceptAccessLog), ['/var/log/w.log combined', '/var/log/w2.log combined']);
    assert.deepEqual(paths(q!.accessLog), ['/var/log/q.log combined']);
    assert.deepEqual(q!.limitExceptAccessLog, []);
    assert.equal(plain!.limitExceptAccessLog, undefined);
  });

  it('reads escape=, joins the strings, and buffer=, flush=, if=', () => {
    const s = ok(`http { ${UP}
      log_format j escape=json '{"s":$status,' '"u":"$uri"}';
      server { access_log /var/log/j.log j buffer=32k flush=5s if=$arg_log; location / { proxy_pass http://app; } } }`);
    const [target] = s.servers[0]!.accessLog!;
    assert.equal(target!.format.escape, 'json');
    assert.deepEqual(target!.format.template.parts, [{ literal: '{"s":' }, { variable: 'status' }, { literal: ',"u":"' }, { variable: 'uri' }, { literal: '"}' }]);
    assert.equal(target!.bufferBytes, 32 * 1024);
    assert.equal(target!.flushMs, 5000);
    assert.deepEqual(target!.condition!.parts, [{ variable: 'arg_log' }]);
  });

  it('reports every problem with file:line, in nginx\'s words where nginx has them', () => {
    const { problems } = build(`http { ${UP}
      log_format a '$status';
      log_format a '$status';
      log_format combined '$status';
      log_format b escape=xml '$status';
      log_format c '$no_such_thing $sent_http_content_type';
      server {
        log_format d '$status';
        access_log /var/log/x.log nosuch;
        access_log syslog:server=10.0.0.1;
        access_log /var/log/$host.log;
        access_log /var/log/y.log a gzip;
        access_log /var/log/z.log a flush=1s;
        access_log off extra;
        location / { proxy_pass http://app; }
      } }`);
    assert.deepEqual(problems, [
      '/etc/sg/t.conf:3: duplicate "log_format" name "a"',
      '/etc/sg/t.conf:4: duplicate "log_format" name "combined"',
      '/etc/sg/t.conf:5: unknown log format escaping "xml"',
      '/etc/sg/t.conf:6: unknown "no_such_thing" variable',
      '/etc/sg/t.conf:8: "log_format" directive is not allowed here',
      '/etc/sg/t.conf:9: unknown log format "nosuch"',
      '/etc/sg/t.conf:10: logging to syslog is not supported by the gateway (write to a file or /dev/stdout)',
      '/etc/sg/t.conf:11: variables in the "access_log" path are not supported ("/var/log/$host.log")',
      '/etc/sg/t.conf:12: "gzip" in "access_log" is not supported by the gateway (compress rotated files instead)',
      '/etc/sg/t.conf:13: no buffer is defined for access_log "/var/log/z.log"',
      '/etc/sg/t.conf:14: invalid parameter "extra"',
    ]);
  });
});
