import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { assignRequestId, newRequestId, requestIdOf, trustedRequestId } from '../../../gateway/proxy/request-id.js';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('trustedRequestId', () => {
  it('takes UUIDs, hex, base64 and trace ids', () => {
    for (const id of ['abc-123', '0f8c2a5e-2b7d-4a8e-9d0e-0c1d2e3f4a5b', 'YWJj+/de==', 'Root=1-67891233-abcdef012345678912345678', 'x'.repeat(128)]) {
      assert.equal(trustedRequestId(id), id);
    }
  });

  it('refuses an empty, missing, repeated or over-long id', () => {
    for (const v of ['', undefined, ['a', 'b'], 'a, b', 'x'.repeat(129)]) assert.equal(trustedRequestId(v), null, JSON.stringify(v));
  });

  it('refuses what could inject into a log line or an answer', () => {
    for (const id of ['a b', 'a"b', 'a\\b', 'a\tb', 'line\nbreak', 'del\u007f', 'caf\u00e9', '<script>', "a'b", 'a;b']) {
      assert.equal(trustedRequestId(id), null, JSON.stringify(id));
    }
  });
});

describe('assignRequestId', () => {
  it('takes the trusted field only when one is configured', () => {
    assert.equal(assignRequestId(req({ 'x-request-id': 'lb-7' }), 'x-request-id'), 'lb-7');
    assert.match(assignRequestId(req({ 'x-request-id': 'lb-7' }), undefined), /^[0-9a-f]{32}$/);
    assert.match(assignRequestId(req({ 'x-request-id': 'lb-7' }), 'x-amzn-trace-id'), /^[0-9a-f]{32}$/);
    assert.match(assignRequestId(req({ 'x-request-id': 'bad id' }), 'x-request-id'), /^[0-9a-f]{32}$/);
  });

  it('fixes one id per request: the first call wins and requestIdOf returns it', () => {
    const r = req({ 'x-request-id': 'lb-8' });
    assert.equal(assignRequestId(r, 'x-request-id'), 'lb-8');
    assert.equal(assignRequestId(r, undefined), 'lb-8');
    assert.equal(requestIdOf(r), 'lb-8');
    const fresh = req({});
    assert.equal(requestIdOf(fresh), requestIdOf(fresh));
  });
});

describe('newRequestId', () => {
  it('gives 32 hex digits, never the same twice, across refills of its entropy', () => {
    // 1,000 ids use the 256-id batch four times over: a refill must not repeat or shorten an id.
    const ids = Array.from({ length: 1000 }, () => newRequestId());
    for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(new Set(ids).size, ids.length);
  });
});
