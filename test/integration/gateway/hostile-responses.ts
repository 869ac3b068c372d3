import type { Step } from '../../helpers/hostile-backend.js';

/**
 * The table the hostile-backend harness plays: responses real backends send on a bad day (werkzeug closing after a
 * 204, Tomcat closing its 100th keep-alive request, a reason phrase in Chinese), and the malformed ones no library
 * would send. For each, what the client may get: a status, or `cut` (the head already went out, so the only honest
 * signal left is to end the connection). Whatever happens, the gateway stays up and serves the next request.
 */
export interface HostileCase {
  name: string;
  method?: 'GET' | 'POST' | 'HEAD';
  requestBody?: string;
  requestHeaders?: Record<string, string>;
  response: Step[];
  expect: Array<number | 'cut'>;
  /** The X-Gateway-Error of a 502/504 answer. */
  code?: string;
  /** The body the client must receive when the answer is not a gateway error. */
  body?: string;
  /** Headers the client must receive (lower-case name → value), or must not (undefined). */
  headers?: Record<string, string | undefined>;
  /**
   * The response carries a write-back that increments the session's counter: `true` it must be applied exactly once,
   * `false` never, `maybe` once at most (the response broke while, or after, the session was saved).
   */
  writeBack?: true | false | 'maybe';
}

/** The write-back each case that has one carries. */
export const WB = 'X-Session-Update: {"incr":{"n":1}}\r\n';
const FIN = { close: 'fin' } as const;
const RST = { close: 'rst' } as const;
const PAUSE = { pause: true } as const;
const BAD = 'SG_BACKEND_BAD_RESPONSE';
const FAILED = 'SG_BACKEND_FAILED';
const ok = (head: string, body = 'ok') => `${head}Content-Length: ${body.length}\r\n\r\n${body}`;

const framing: HostileCase[] = [
  { name: 'content-length and chunked together', response: ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'], expect: [502], code: BAD },
  { name: 'two different content-lengths', response: ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!'], expect: [502], code: BAD },
  { name: 'a content-length list', response: ['HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok!'], expect: [502], code: BAD },
  { name: 'a negative content-length', response: ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nok'], expect: [502], code: BAD },
  { name: 'a content-length with a sign', response: ['HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok'], expect: [502], code: BAD },
  { name: 'a content-length past 2^64', response: ['HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\nok'], expect: [502], code: BAD },
  { name: 'a chunk size that is not hex', response: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n'], expect: [502, 'cut'], code: BAD },
  { name: 'a chunk size past 2^64', response: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\nok\r\n0\r\n\r\n'], expect: [502, 'cut'], code: BAD },
  { name: 'a chunk longer than its size', response: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nok\r\n0\r\n\r\n'], expect: [502, 'cut'], code: BAD },
  { name: 'a bad chunk after a good one, in its own segment', response: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n', PAUSE, 'xyz\r\n'], expect: [502, 'cut'], code: BAD },
  { name: 'a transfer-coding other than chunked', response: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'], expect: [502], code: BAD },
  { name: 'chunk extensions', response: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;name=value\r\nok\r\n0\r\n\r\n'], expect: [200], body: 'ok' },
  {
    name: 'trailers after a chunked body',
    response: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n2\r\nok\r\n0\r\nX-Checksum: abc\r\n\r\n'],
    expect: [200],
    body: 'ok',
    headers: { trailer: 'X-Checksum' },
  },
  { name: 'a trailer Node would refuse to write', response: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Bad: \u00ff\u0001\r\n\r\n'], expect: [200, 502, 'cut'] },
  { name: 'a short body, then a clean close', response: ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this', FIN], expect: [502, 'cut'] },
  { name: 'a short body, then a reset', response: ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this', PAUSE, RST], expect: [502, 'cut'] },
  { name: 'an unfinished chunked body, then a close', response: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel', FIN], expect: [502, 'cut'] },
  { name: 'an HTTP/1.0 body ended by close', response: ['HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nended by close', FIN], expect: [200], body: 'ended by close' },
  { name: 'an HTTP/1.1 body ended by close', response: ['HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nended', PAUSE, ' by close', FIN], expect: [200], body: 'ended by close' },
  { name: 'a large body ended by close', response: ['HTTP/1.0 200 OK\r\n\r\n', 'x'.repeat(512 * 1024), FIN], expect: [200], body: 'x'.repeat(512 * 1024) },
  { name: 'bytes after a complete response', response: [ok('HTTP/1.1 200 OK\r\n') + 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\ngarbage'], expect: [200], body: 'ok' },
  { name: 'a complete response, then a close it did not announce', response: [ok('HTTP/1.1 200 OK\r\n'), FIN], expect: [200], body: 'ok' },
  { name: 'a complete response, then a reset', response: [ok('HTTP/1.1 200 OK\r\n'), PAUSE, RST], expect: [200], body: 'ok' },
];

const statusLine: HostileCase[] = [
  { name: 'a reason phrase with a control character', response: [ok('HTTP/1.1 404 Not\x01Found\r\n')], expect: [502], code: BAD },
  { name: 'a reason phrase with DEL', response: [ok('HTTP/1.1 404 Not\x7fFound\r\n')], expect: [502], code: BAD },
  { name: 'a UTF-8 reason phrase (未找到)', response: [ok('HTTP/1.1 404 ' + Buffer.from('未找到').toString('latin1') + '\r\n')], expect: [404], body: 'ok' },
  { name: 'a Latin-1 reason phrase', response: [ok('HTTP/1.1 404 Not trouv\xe9\r\n')], expect: [404], body: 'ok' },
  { name: 'a reason phrase with a tab', response: [ok('HTTP/1.1 404 Not\tFound\r\n')], expect: [404], body: 'ok' },
  { name: 'no reason phrase', response: [ok('HTTP/1.1 404\r\n')], expect: [404], body: 'ok' },
  { name: 'a 4 KiB reason phrase', response: [ok(`HTTP/1.1 404 ${'r'.repeat(4096)}\r\n`)], expect: [404, 502] },
  { name: 'a status of two digits', response: [ok('HTTP/1.1 20 OK\r\n')], expect: [502], code: BAD },
  { name: 'a status of four digits', response: [ok('HTTP/1.1 2000 OK\r\n')], expect: [502], code: BAD },
  { name: 'status 000', response: [ok('HTTP/1.1 000 Zero\r\n')], expect: [502], code: BAD },
  { name: 'status 099', response: [ok('HTTP/1.1 099 Low\r\n')], expect: [502], code: BAD },
  { name: 'status 600', response: [ok('HTTP/1.1 600 Custom\r\n')], expect: [600], body: 'ok' },
  { name: 'status 999', response: [ok('HTTP/1.1 999 Custom\r\n')], expect: [999], body: 'ok' },
  { name: 'a status that is not a number', response: [ok('HTTP/1.1 abc OK\r\n')], expect: [502], code: BAD },
  { name: 'HTTP/2.0 in an HTTP/1 status line', response: [ok('HTTP/2.0 200 OK\r\n')], expect: [200, 502] },
  { name: 'a bad protocol name', response: [ok('HTXP/1.1 200 OK\r\n')], expect: [502], code: BAD },
  { name: 'an HTTP/0.9 answer (no status line)', response: ['just a body', FIN], expect: [502], code: BAD },
  { name: 'bare LF line endings', response: ['HTTP/1.1 200 OK\nContent-Length: 2\n\nok'], expect: [200, 502] },
  { name: 'NUL in the status line', response: [ok('HTTP/1.1 200 O\x00K\r\n')], expect: [502], code: BAD },
];

const headers: HostileCase[] = [
  { name: 'an obs-fold header', response: [ok('HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\n')], expect: [502], code: BAD },
  { name: 'NUL in a header value', response: [ok('HTTP/1.1 200 OK\r\nX-Nul: a\x00b\r\n')], expect: [502], code: BAD },
  { name: 'a control character in a header value', response: [ok('HTTP/1.1 200 OK\r\nX-Ctl: a\x01b\r\n')], expect: [502], code: BAD },
  { name: 'a Latin-1 header value', response: [ok('HTTP/1.1 200 OK\r\nX-Name: Jos\xe9\r\n')], expect: [200], body: 'ok' },
  { name: 'a space in a header name', response: [ok('HTTP/1.1 200 OK\r\nBad Name: x\r\n')], expect: [502], code: BAD },
  { name: 'a space before the colon', response: [ok('HTTP/1.1 200 OK\r\nX-Space : x\r\n')], expect: [502], code: BAD },
  { name: 'an empty header name', response: [ok('HTTP/1.1 200 OK\r\n: x\r\n')], expect: [502], code: BAD },
  { name: 'a header line without a colon', response: [ok('HTTP/1.1 200 OK\r\nGarbage\r\n')], expect: [502], code: BAD },
  { name: 'a header name with a control character', response: [ok('HTTP/1.1 200 OK\r\nX-A\x01: x\r\n')], expect: [502], code: BAD },
  { name: 'a non-ASCII header name', response: [ok('HTTP/1.1 200 OK\r\nX-\xe9: x\r\n')], expect: [502], code: BAD },
  { name: 'a 100 KiB header', response: [ok(`HTTP/1.1 200 OK\r\nX-Huge: ${'h'.repeat(100 * 1024)}\r\n`)], expect: [502], code: BAD },
  { name: 'two thousand small headers', response: [ok(`HTTP/1.1 200 OK\r\n${Array.from({ length: 2000 }, (_, i) => `X-H${i}: v\r\n`).join('')}`)], expect: [200], body: 'ok' },
  { name: 'an empty header value', response: [ok('HTTP/1.1 200 OK\r\nX-Empty:\r\n')], expect: [200], body: 'ok' },
  { name: 'an Upgrade header on a 200', response: [ok('HTTP/1.1 200 OK\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n')], expect: [200], body: 'ok', headers: { upgrade: undefined } },
  { name: 'a Connection header naming another header', response: [ok('HTTP/1.1 200 OK\r\nConnection: X-Private\r\nX-Private: secret\r\n')], expect: [200], body: 'ok', headers: { 'x-private': undefined } },
  { name: 'two X-Session-Update headers', response: [ok(`HTTP/1.1 200 OK\r\n${WB}${WB}`)], expect: [502], code: 'SG_WRITEBACK_MALFORMED', writeBack: false },
  { name: 'X-Session-Login twice', response: [ok('HTTP/1.1 200 OK\r\nX-Session-Login: a\r\nX-Session-Login: b\r\n')], expect: [502], code: 'SG_WRITEBACK_MALFORMED' },
  { name: 'a write-back the client must never see', response: [ok(`HTTP/1.1 200 OK\r\n${WB}X-Session-Other: x\r\n`)], expect: [200], body: 'ok', writeBack: true, headers: { 'x-session-update': undefined, 'x-session-other': undefined } },
];

const earlyClose: HostileCase[] = [
  { name: 'a close before any byte', response: [FIN], expect: [502], code: FAILED },
  { name: 'a reset before any byte', response: [RST], expect: [502], code: FAILED },
  { name: 'a close in the status line', response: ['HTTP/1.1 20', FIN], expect: [502] },
  { name: 'a close in the headers', response: ['HTTP/1.1 200 OK\r\nContent-Le', FIN], expect: [502] },
  { name: 'a close after the headers, before the body', response: ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', FIN], expect: [502, 'cut'] },
  { name: 'a reset after the headers', response: ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', PAUSE, RST], expect: [502, 'cut'] },
  { name: 'a close in a chunk, in its own segment', response: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nsome\r\n', PAUSE, '10\r\nmo', FIN], expect: [502, 'cut'] },
  { name: 'a close after the head of a write-back response', response: [`HTTP/1.1 200 OK\r\n${WB}Content-Length: 10\r\n\r\n`, FIN], expect: [502, 'cut'], writeBack: 'maybe' },
];

const informational: HostileCase[] = [
  { name: '100 Continue, then the answer', response: ['HTTP/1.1 100 Continue\r\n\r\n', ok('HTTP/1.1 200 OK\r\n')], expect: [200], body: 'ok' },
  { name: '100 Continue in its own segment', response: ['HTTP/1.1 100 Continue\r\n\r\n', PAUSE, ok('HTTP/1.1 200 OK\r\n')], expect: [200], body: 'ok' },
  { name: '100 Continue split across segments', response: ['HTTP/1.1 10', PAUSE, '0 Continue\r', PAUSE, '\n\r\n', PAUSE, ok('HTTP/1.1 200 OK\r\n')], expect: [200], body: 'ok' },
  { name: 'two 100 Continue, then the answer', response: ['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n', ok('HTTP/1.1 200 OK\r\n')], expect: [200], body: 'ok' },
  { name: '100 Continue on a POST with a body', method: 'POST', requestBody: 'a form', response: ['HTTP/1.1 100 Continue\r\n\r\n', ok(`HTTP/1.1 200 OK\r\n${WB}`)], expect: [200], body: 'ok', writeBack: true },
  { name: '103 Early Hints, then the answer', response: ['HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n', ok('HTTP/1.1 200 OK\r\n')], expect: [200], body: 'ok' },
  { name: '102 Processing, then the answer', response: ['HTTP/1.1 102 Processing\r\n\r\n', PAUSE, ok('HTTP/1.1 200 OK\r\n')], expect: [200], body: 'ok' },
  { name: 'fifty 1xx, then the answer', response: ['HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n'.repeat(50), ok('HTTP/1.1 200 OK\r\n')], expect: [200], body: 'ok' },
  { name: 'a write-back on a 1xx is not applied', response: [`HTTP/1.1 103 Early Hints\r\n${WB}\r\n`, ok('HTTP/1.1 200 OK\r\n')], expect: [200], body: 'ok', writeBack: false },
  { name: '100 Continue, then a close', response: ['HTTP/1.1 100 Continue\r\n\r\n', FIN], expect: [502] },
  { name: '101 to a request that asked for no upgrade', response: ['HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'], expect: [502], code: BAD },
];

const bodyless: HostileCase[] = [
  { name: '204 with a write-back, then a close (werkzeug)', response: [`HTTP/1.1 204 NO CONTENT\r\n${WB}Connection: close\r\n\r\n`, FIN], expect: [204], writeBack: true, body: '' },
  { name: '204 with a write-back, then a close it did not announce', response: [`HTTP/1.1 204 No Content\r\n${WB}\r\n`, FIN], expect: [204], writeBack: true, body: '' },
  { name: '204 with a write-back, kept alive', response: [`HTTP/1.1 204 No Content\r\n${WB}\r\n`], expect: [204], writeBack: true, body: '' },
  { name: '204 with a Content-Length and body bytes', response: ['HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello'], expect: [204], body: '' },
  { name: '204 with Transfer-Encoding', response: ['HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n'], expect: [204, 502] },
  { name: 'an empty 302 with a write-back, then a close', response: [`HTTP/1.1 302 Found\r\nLocation: /next\r\n${WB}Content-Length: 0\r\nConnection: close\r\n\r\n`, FIN], expect: [302], writeBack: true, headers: { location: '/next' } },
  { name: 'an empty 302 with a write-back, then a close it did not announce', response: [`HTTP/1.1 302 Found\r\nLocation: /next\r\n${WB}Content-Length: 0\r\n\r\n`, FIN], expect: [302], writeBack: true, headers: { location: '/next' } },
  { name: '304 with a Content-Length and no body', response: [`HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n${WB}Content-Length: 1234\r\n\r\n`], expect: [304], writeBack: true, headers: { etag: '"v1"' } },
  { name: '304 with a write-back, then a close', response: [`HTTP/1.1 304 Not Modified\r\n${WB}\r\n`, FIN], expect: [304], writeBack: true },
  { name: 'HEAD with a Content-Length and no body', method: 'HEAD', response: [`HTTP/1.1 200 OK\r\n${WB}Content-Length: 1000\r\n\r\n`], expect: [200], writeBack: true, headers: { 'content-length': '1000' } },
  { name: 'HEAD with a write-back, then a close', method: 'HEAD', response: [`HTTP/1.1 200 OK\r\n${WB}Content-Length: 1000\r\nConnection: close\r\n\r\n`, FIN], expect: [200], writeBack: true },
  { name: 'HEAD answered with a body anyway', method: 'HEAD', response: ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'], expect: [200] },
  { name: '205 Reset Content', response: ['HTTP/1.1 205 Reset Content\r\nContent-Length: 0\r\n\r\n'], expect: [205] },
  { name: 'a write-back on a 500', response: [ok(`HTTP/1.1 500 Internal Server Error\r\n${WB}`, 'oops')], expect: [500], body: 'oops', writeBack: true },
  { name: 'a malformed write-back on a 204, then a close', response: ['HTTP/1.1 204 No Content\r\nX-Session-Update: {nope\r\nConnection: close\r\n\r\n', FIN], expect: [502], code: 'SG_WRITEBACK_MALFORMED' },
  { name: 'an answer before the request body was read', method: 'POST', requestBody: 'x'.repeat(200 * 1024), requestHeaders: { 'x-hostile-early': '1' }, response: ['HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n', FIN], expect: [413, 502] },
];

export const HOSTILE_CASES: HostileCase[] = [...framing, ...statusLine, ...headers, ...earlyClose, ...informational, ...bodyless];
