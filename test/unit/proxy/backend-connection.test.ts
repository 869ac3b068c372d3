import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { continueHeadLength } from '../../../gateway/proxy/backend-connection.js';

describe('continueHeadLength (the 100 Continue heads dropped before undici parses a response)', () => {
  const of = (text: string) => continueHeadLength(Buffer.from(text, 'latin1'));

  it('measures a whole 100 Continue head, with or without a reason, in CRLF or bare LF', () => {
    assert.equal(of('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n'), 25);
    assert.equal(of('HTTP/1.0 100\r\n\r\n'), 16);
    assert.equal(of('HTTP/1.1 100 Continue\n\nHTTP/1.1 200 OK'), 23);
    assert.equal(of('HTTP/1.1 100 Continue\r\nX-Extra: 1\r\n\r\n'), 37);
  });

  it('waits while a prefix could still be a 100 Continue head', () => {
    for (const prefix of ['', 'H', 'HTTP/1.', 'HTTP/1.1 1', 'HTTP/1.1 100', 'HTTP/1.1 100 Continue\r\n']) assert.equal(of(prefix), 'incomplete', prefix);
  });

  it('lets everything else through at once', () => {
    for (const start of ['HTTP/1.1 200 OK\r\n', 'HTTP/1.1 103 Early Hints\r\n', 'HTTP/1.1 1000 x', 'HTTP/1.1 100x', 'garbage', 'HTTP/x.1 100 ']) assert.equal(of(start), 'not-continue', start);
  });
});
