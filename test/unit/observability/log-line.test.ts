import assert from 'node:assert/strict';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { buildSettings } from '../../../gateway/config/build-settings.js';
import type { LogFormatSettings } from '../../../gateway/config/log-directives.js';
import { parseConfigText } from '../../../gateway/config/parser.js';
import { compileCondition, compileLogFormat } from '../../../gateway/observability/log-line.js';
import type { LogContext } from '../../../gateway/observability/log-variables.js';
import { RequestRecord } from '../../../gateway/observability/request-record.js';

/** The formats of a real config, as the access log gets them. */
function formatsOf(logFormats: string): { server: ReturnType<typeof serverOf>; format: (name: string) => LogFormatSettings } {
  const logs = [...logFormats.matchAll(/log_format (\w+)/g)].map((m) => `access_log /tmp/${m[1]}.log ${m[1]};`).join(' ');
  const text = `http { upstream app { server 127.0.0.1:8081; } ${logFormats}
    server { ${logs} location / { proxy_pass http://app; } } }`;
  const { settings, problems } = buildSettings(parseConfigText(text, '/etc/sg/t.conf'), '/etc/sg/t.conf');
  assert.deepEqual(problems, []);
  const server = serverOf(settings!);
  return { server, format: (name) => server.accessLog!.find((t) => t.format.name === name)?.format ?? assert.fail(name) };
}
const serverOf = (s: NonNullable<ReturnType<typeof buildSettings>['settings']>) => s.servers[0]!;

function contextFor(server: ReturnType<typeof serverOf>, fill: (r: RequestRecord) => void = () => {}): LogContext {
  const req = new IncomingMessage(new Socket());
  req.method = 'GET';
  req.url = '/x';
  const record = new RequestRecord(req, new ServerResponse(req), server);
  record.endedAt = record.startedAt + 1234.4;
  fill(record);
  return { record, bytes: { sent: 512, received: 77 }, connection: { read: 0, written: 0, serial: 9, requests: 3 }, variables: null };
}

describe('a log_format compiled into one function', () => {
  it('writes literals, the log\'s own variables and a newline; no upstream is "-"', () => {
    const { server, format } = formatsOf(`log_format f '$status $bytes_sent $request_length $request_time c=$connection/$connection_requests $upstream_addr $pipe';`);
    const c = contextFor(server);
    assert.equal(compileLogFormat(format('f')).line(c), '499 512 77 1.234 c=9/3 - .\n');
  });

  it('writes $request_time with three decimals, rounding as nginx\'s %T.%03M reads', () => {
    const { server, format } = formatsOf(`log_format f '$request_time';`);
    const line = compileLogFormat(format('f')).line;
    const at = (ms: number) => line(contextFor(server, (r) => { r.endedAt = r.startedAt + ms; }));
    assert.deepEqual([at(0), at(7.6), at(45), at(999.9), at(61_005)], ['0.000\n', '0.008\n', '0.045\n', '1.000\n', '61.005\n']);
  });

  it('escapes as nginx: default as \\xHH (UTF-8 bytes), json as a JSON string, none as the bytes', () => {
    const { server, format } = formatsOf(`log_format f '$session_principal|$session_sid';
      log_format j escape=json '{"p":"$session_principal","s":"$session_sid"}';
      log_format n escape=none '$session_principal|$session_sid';`);
    const c = contextFor(server, (r) => r.sessionKnown(null, 'a"b\\c\né'));
    assert.equal(compileLogFormat(format('f')).line(c), 'a\\x22b\\x5Cc\\x0A\\xC3\\xA9|-\n');
    const json = compileLogFormat(format('j')).line(c);
    assert.equal(json, '{"p":"a\\"b\\\\c\\n\xc3\xa9","s":""}\n');
    assert.equal(Buffer.from(json, 'latin1').toString('utf8'), '{"p":"a\\"b\\\\c\\né","s":""}\n');
    assert.equal(compileLogFormat(format('n')).line(c), 'a"b\\c\n\xc3\xa9|-\n');
  });

  it('escapes $request_id too: it may be a client\'s header', () => {
    const { server, format } = formatsOf(`log_format j escape=json '{"id":"$request_id"}';`);
    const c = contextFor(server, (r) => { r.requestId = 'a"b'; });
    assert.equal(compileLogFormat(format('j')).line(c), '{"id":"a\\"b"}\n');
  });

  it('writes a literal of the config file as its UTF-8 bytes, and quotes in literals as they are', () => {
    const { server, format } = formatsOf(`log_format f 'état "$status" \\'q\\' \${status}s';`);
    assert.equal(compileLogFormat(format('f')).line(contextFor(server)), '\xc3\xa9tat "499" \'q\' 499s\n');
  });

  it('writes $time_local and $time_iso8601 as nginx does, the same second in both', () => {
    const { server, format } = formatsOf(`log_format f '[$time_local] $time_iso8601';`);
    const line = compileLogFormat(format('f')).line(contextFor(server));
    const m = /^\[(\d\d)\/([A-Z][a-z]{2})\/(\d{4}):(\d\d:\d\d:\d\d) ([+-]\d{4})\] (\d{4})-(\d\d)-(\d\d)T(\d\d:\d\d:\d\d)([+-]\d\d):(\d\d)\n$/.exec(line);
    assert.ok(m, line);
    assert.equal(m[1], m[8]);
    assert.equal(m[3], m[6]);
    assert.equal(m[4], m[9]);
    assert.equal(m[5], `${m[10]}${m[11]}`);
  });

  it('says when a format needs the request\'s variables, so the logger asks for them only then', () => {
    const { format } = formatsOf(`log_format f '$status'; log_format g '$status $remote_addr';`);
    assert.equal(compileLogFormat(format('f')).needsRequestVariables, false);
    assert.equal(compileLogFormat(format('g')).needsRequestVariables, true);
  });

  it('if=: holds unless the value is empty or "0"', () => {
    const { server } = formatsOf(`log_format f '$status';`);
    const withCondition = (text: string) => buildSettings(parseConfigText(`http { upstream app { server 127.0.0.1:8081; }
      server { access_log /tmp/a.log combined if=${text}; location / { proxy_pass http://app; } } }`, '/t.conf'), '/t.conf').settings!.servers[0]!.accessLog![0]!.condition!;
    const c = contextFor(server);
    assert.equal(compileCondition(withCondition('$session_sid')).holds(c), false);
    assert.equal(compileCondition(withCondition('0$session_sid')).holds(c), false);
    assert.equal(compileCondition(withCondition('$status')).holds(c), true);
  });
});
