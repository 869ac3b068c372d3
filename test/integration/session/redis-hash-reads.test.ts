import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectRedis, closeRedisClient, type RedisClient } from '../../../gateway/session/redis-connection.js';
import { HashReads } from '../../../gateway/session/redis-hash-reads.js';
import { splitRecord } from '../../../gateway/session/redis-replies.js';
import { TestRedis } from '../../helpers/redis-server.js';

describe('HashReads (HGETALL outside the auto-pipeline)', () => {
  let redis: TestRedis;
  let client: RedisClient;
  before(async () => {
    redis = await TestRedis.start();
    client = await connectRedis(redis.url);
  });
  after(async () => {
    await closeRedisClient(client);
    await redis.close();
  });

  it('answers what ioredis\' hgetall answers, split, in the same order: fields, meta names of every length, odd names, UTF-8, an absent key', async () => {
    await client.hset('h:1', '#c', '1', 'app\u0000b', '"Zoë ✓"', '#a', '2', 'app\u0000a', '{"x":[1]}', '__proto__', 'x', 'constructor', 'y', '', 'empty', '#é', 'v', 'ab', 'w', '#', 'z', '#long', 'm');
    const reads = new HashReads(client);
    for (const key of ['h:1', 'h:absent']) {
      const got = await reads.hgetall(key);
      const want = splitRecord(await client.hgetall(key));
      assert.deepEqual([...got.meta], [...want.meta]);
      assert.deepEqual([...got.fields], [...want.fields]);
    }
  });

  it('sends the reads of one turn together and answers each in order, also mixed with auto-pipelined commands', async () => {
    const reads = new HashReads(client);
    const keys = Array.from({ length: 40 }, (_, i) => `h:n${i}`);
    await Promise.all(keys.map((key, i) => client.hset(key, 'i', String(i))));
    const answers = await Promise.all(keys.flatMap((key) => [reads.hgetall(key), client.hget(key, 'i')]));
    keys.forEach((_, i) => {
      assert.deepEqual(answers[2 * i], { meta: new Map(), fields: new Map([['i', String(i)]]) });
      assert.equal(answers[2 * i + 1], String(i));
    });
  });

  it('fails at once when the connection is gone (no offline queue), as a plain command does', async () => {
    const other = await connectRedis(redis.url);
    other.disconnect();
    await assert.rejects(new HashReads(other).hgetall('h:1'));
  });
});
