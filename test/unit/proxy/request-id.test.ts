import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newRequestId } from '../../../gateway/proxy/request-id.js';

describe('newRequestId', () => {
  it('gives 32 hex digits, never the same twice, across refills of its entropy', () => {
    // 1,000 ids use the 256-id batch four times over: a refill must not repeat or shorten an id.
    const ids = Array.from({ length: 1000 }, () => newRequestId());
    for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(new Set(ids).size, ids.length);
  });
});
