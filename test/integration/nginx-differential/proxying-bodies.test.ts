import { differential, differs, request, same } from '../../helpers/differential.js';

/**
 * Request bodies and `Expect: 100-continue`: 100 Continue only when the body is about to be read, so a request
 * refused first (413 over client_max_body_size, 403) gets its answer without it; other expectations are ignored.
 * A chunked body nginx buffers whole and sends with Content-Length; the gateway streams it as it arrives, chunked
 * (README "Request bodies stream").
 */
const expect = (target: string, body: string, extra: Record<string, string> = {}, version: '1.0' | '1.1' = '1.1') =>
  request(`POST ${target}`, { body, version, headers: { Expect: '100-continue', 'Content-Type': 'text/plain', ...extra } });
const chunked = (chunks: number) => `${`4000\r\n${'x'.repeat(0x4000)}\r\n`.repeat(chunks)}0\r\n\r\n`;

differential({
  name: 'proxying: request bodies and 100-continue',
  http: `
    upstream app { server {b0} max_fails=0; }
    client_max_body_size 1k;
    server {
      listen {listen};
      location / { proxy_pass http://app; }
      location /denied/ { deny all; proxy_pass http://app; }
      location /big/ { client_max_body_size 1m; proxy_pass http://app; }
    }`,
  cases: [
    same('a small body with Expect: 100-continue gets 100 Continue first', expect('/x', 'hello')),
    differs('a body over client_max_body_size gets 413 and no 100 Continue',
      request('POST /x', { headers: { Expect: '100-continue', 'Content-Length': '2000000' } }), ['error-body']),
    differs('a refused location gets 403 and no 100 Continue', expect('/denied/x', 'hello'), ['error-body']),
    same('HTTP/1.0 gets no 100 Continue', expect('/x', 'hello', {}, '1.0')),
    same('an expectation other than 100-continue is ignored', request('POST /x', { body: 'hello', headers: { Expect: 'something-else' } })),
    same('a chunked body with Expect: 100-continue', request('POST /x', { headers: { Expect: '100-continue', 'Transfer-Encoding': 'chunked' }, body: '5\r\nhello\r\n0\r\n\r\n' })),
    differs('a chunked body of 256 KiB: nginx sends Content-Length, the gateway streams it chunked',
      request('POST /big/x', { headers: { 'Transfer-Encoding': 'chunked' }, body: chunked(16) }), ['request-streaming']),
  ],
});
