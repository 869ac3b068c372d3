import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../../gateway/errors.js';
import { parseRedisUrl, redactRedisUrl } from '../../../gateway/session/redis-connection.js';

describe('parseRedisUrl', () => {
  it('reads the standalone and TLS forms', () => {
    assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6380'), { mode: 'standalone', host: '127.0.0.1', port: 6380, db: 0, tls: false });
    assert.deepEqual(parseRedisUrl('rediss://u:p%40ss@cache.local/3'), { mode: 'standalone', host: 'cache.local', port: 6379, db: 3, tls: true, username: 'u', password: 'p@ss' });
    assert.deepEqual(parseRedisUrl('redis://:secret@[::1]:7000'), { mode: 'standalone', host: '::1', port: 7000, db: 0, tls: false, password: 'secret' });
  });

  it('reads the Sentinel form', () => {
    assert.deepEqual(parseRedisUrl('redis-sentinel://u:p@h1:26379,h2/mymaster/2?sentinelPassword=s'), {
      mode: 'sentinel', sentinels: [{ host: 'h1', port: 26379 }, { host: 'h2', port: 26379 }], masterName: 'mymaster', db: 2, tls: false,
      username: 'u', password: 'p', sentinelPassword: 's',
    });
  });

  it('reads the Cluster form', () => {
    assert.deepEqual(parseRedisUrl('redis-cluster://h1:7000,h2:7001'), { mode: 'cluster', nodes: [{ host: 'h1', port: 7000 }, { host: 'h2', port: 7001 }], tls: false });
  });

  it('refuses what it cannot read, without echoing the password', () => {
    for (const bad of ['http://h:1', 'redis://h1:1,h2:2', 'redis-sentinel://h1:26379', 'redis://h:99999', 'redis://h:1/x', 'redis-cluster://h:1/0', 'nonsense']) {
      assert.throws(() => parseRedisUrl(bad), (err: unknown) => err instanceof GatewayError && err.code === 'SG_REDIS_URL_INVALID', bad);
    }
    assert.equal(redactRedisUrl('redis://user:hunter2@h:1/0'), 'redis://user:***@h:1/0');
    assert.equal(redactRedisUrl('redis://h:1'), 'redis://h:1');
  });
});
