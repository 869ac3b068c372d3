import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressOf, sameNode } from '../../../gateway/session/redis-sentinel-master.js';

test('sameNode: same host and port, loopback however spelled', () => {
  assert.equal(sameNode({ host: '127.0.0.1', port: 6380 }, { host: '127.0.0.1', port: 6380 }), true);
  assert.equal(sameNode({ host: '127.0.0.1', port: 6380 }, { host: '127.0.0.1', port: 6381 }), false, 'the promoted replica on the same host');
  assert.equal(sameNode({ host: '10.0.0.5', port: 6379 }, { host: '10.0.0.6', port: 6379 }), false, 'another host, the same port');
  assert.equal(sameNode({ host: 'localhost', port: 6379 }, { host: '127.0.0.1', port: 6379 }), true, 'loopback spelled two ways');
  assert.equal(sameNode({ host: '::1', port: 6379 }, { host: '127.0.0.1', port: 6379 }), true);
  assert.equal(sameNode({ host: '::ffff:127.0.0.1', port: 6379 }, { host: '127.0.0.1', port: 6379 }), true);
});

test('addressOf: a name a sentinel announced becomes the address a socket reports; addresses stay', async () => {
  assert.deepEqual(await addressOf({ host: '10.0.0.5', port: 6379 }), { host: '10.0.0.5', port: 6379 });
  const local = await addressOf({ host: 'localhost', port: 6379 });
  assert.ok(sameNode(local, { host: '127.0.0.1', port: 6379 }));
});
