import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { ClientRequestError } from '../../../gateway/errors.js';
import { readRequestHead, validateHost } from '../../../gateway/proxy/request-head.js';

function fakeRequest(url: string, rawHeaders: string[]): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) headers[rawHeaders[i]!.toLowerCase()] ??= rawHeaders[i + 1]!;
  return { url, rawHeaders, headers } as unknown as IncomingMessage;
}

describe('validateHost (ngx_http_validate_host)', () => {
  it('lower-cases and drops the port and one trailing dot', () => {
    assert.equal(validateHost('Foo.Example.:8080'), 'foo.example');
    assert.equal(validateHost('[::1]:8080'), '[::1]');
    assert.equal(validateHost('10.0.0.1'), '10.0.0.1');
  });

  it('refuses what nginx refuses', () => {
    for (const bad of ['', '.', 'a..b', 'a/b', 'a\\b', 'a b', 'a\tb', 'a\x7f', ':80', 'a:8/0']) assert.equal(validateHost(bad), null, JSON.stringify(bad));
  });
});

describe('readRequestHead', () => {
  it('gives the normalised URI and the validated host', () => {
    const head = readRequestHead(fakeRequest('/a/./b', ['Host', 'Shop.Example:81']));
    assert.equal(head.uri.uri, '/a/b');
    assert.equal(head.host, 'shop.example');
  });

  it('prefers the host of an absolute-form target', () => {
    assert.equal(readRequestHead(fakeRequest('http://Other.Example/x', ['Host', 'shop.example'])).host, 'other.example');
  });

  it('is "" without any host (HTTP/1.0)', () => {
    assert.equal(readRequestHead(fakeRequest('/', [])).host, '');
  });

  it('refuses two Host headers, or two of another field nginx keeps unique', () => {
    for (const name of ['Host', 'host', 'Content-Length', 'Authorization', 'Transfer-Encoding', 'If-None-Match']) {
      assert.throws(() => readRequestHead(fakeRequest('/', ['Host', 'a', name, 'b', ...(name.toLowerCase() === 'host' ? [] : [name, 'c'])])), (err: unknown) => err instanceof ClientRequestError && err.status === 400, name);
    }
  });

  it('allows repeated ordinary fields', () => {
    assert.doesNotThrow(() => readRequestHead(fakeRequest('/', ['Host', 'a', 'Accept', 'x', 'Accept', 'y', 'Cookie', 'a=1', 'Cookie', 'b=2'])));
  });

  it('refuses an invalid Host, an invalid request-line host and a path above the root', () => {
    for (const [url, host] of [['/', 'a b'], ['/', 'a..b'], ['http://a..b/', 'ok'], ['/..', 'ok']] as const) {
      assert.throws(() => readRequestHead(fakeRequest(url, ['Host', host])), ClientRequestError, `${url} ${host}`);
    }
  });
});
