import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { responseHead, unforwardableHead } from '../../../gateway/proxy/response-head.js';

const raw = (...pairs: string[]) => pairs.map((p) => Buffer.from(p, 'latin1'));

describe('responseHead', () => {
  it('keeps the backend order and spelling, and folds repeated fields into arrays for lookups', () => {
    const head = responseHead(200, 'OK', raw('Set-Cookie', 'a=1', 'X-One', '1', 'set-cookie', 'b=2'));
    assert.deepEqual(head.raw, ['Set-Cookie', 'a=1', 'X-One', '1', 'set-cookie', 'b=2']);
    assert.deepEqual(head.headers['set-cookie'], ['a=1', 'b=2']);
    assert.deepEqual(head.lowerNames, ['set-cookie', 'x-one', 'set-cookie']);
  });

  it('turns a reason phrase undici decoded as UTF-8 back into its wire bytes', () => {
    const head = responseHead(404, '未找到', []);
    assert.deepEqual(Buffer.from(head.statusText, 'latin1'), Buffer.from('未找到', 'utf8'));
    assert.equal(unforwardableHead(head), null);
  });
});

describe('unforwardableHead', () => {
  const head = (statusCode: number, statusText = 'OK', headers: Record<string, string | string[]> = {}) => ({ statusCode, statusText, headers, raw: [] });

  it('accepts any three-digit status and a reason phrase of visible characters, tabs and obs-text', () => {
    for (const status of [100, 200, 418, 599, 600, 999]) assert.equal(unforwardableHead(head(status)), null);
    assert.equal(unforwardableHead(head(200, 'Tout va bien\t\xe9')), null);
    assert.equal(unforwardableHead(head(200, '')), null);
  });

  it('refuses a status outside 100-999 and a reason phrase with control characters', () => {
    for (const status of [0, 99, 1000]) assert.match(unforwardableHead(head(status)) ?? '', /status/);
    for (const reason of ['Not\x01Found', 'A\x7fB', 'line\r\nbreak', 'nul\x00']) assert.match(unforwardableHead(head(404, reason)) ?? '', /control/);
  });

  it('refuses a transfer-coding other than chunked', () => {
    assert.equal(unforwardableHead(head(200, 'OK', { 'transfer-encoding': 'Chunked' })), null);
    for (const coding of ['gzip, chunked', 'identity', 'chunked, chunked']) assert.match(unforwardableHead(head(200, 'OK', { 'transfer-encoding': coding })) ?? '', /Transfer-Encoding/);
    assert.match(unforwardableHead(head(200, 'OK', { 'transfer-encoding': ['gzip', 'chunked'] })) ?? '', /Transfer-Encoding/);
  });
});
