import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jwtVerify } from 'jose';
import { applyUpdate, signSessionHeader } from '../../../../scripts/express-baseline.js';
import { padAttribute } from '../../../../scripts/bench-backend.js';

test('the express baseline signs a header any JWT library verifies', async () => {
  const token = signSessionHeader({ sub: 'alice', data: { n: 1 } }, 'k');
  const { payload } = await jwtVerify(token, new TextEncoder().encode('k'));
  assert.equal(payload.sub, 'alice');
  assert.deepEqual(payload.data, { n: 1 });
});

test('applyUpdate applies set, unset and incr like the gateway protocol', () => {
  const data: Record<string, unknown> = { a: 1, gone: true };
  applyUpdate(data, { set: { b: 'x' }, unset: ['gone'], incr: { a: 2, c: 1 } });
  assert.deepEqual(data, { a: 3, b: 'x', c: 1 });
  applyUpdate(data, null);
  assert.deepEqual(data, { a: 3, b: 'x', c: 1 });
});

test('the backend pads a session attribute to the size asked for', () => {
  assert.equal(padAttribute(1024).length, 1024);
  assert.equal(padAttribute(-3), '');
});
