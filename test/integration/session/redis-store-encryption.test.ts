import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { GatewayError } from '../../../gateway/errors.js';
import { bucketOfKey } from '../../../gateway/session/key-placement.js';
import { bucketPrefix, INDEX_KEY_KEY } from '../../../gateway/session/redis-keys.js';
import { keyIdOf } from '../../../gateway/session/store-cipher.js';
import { createSessionStore } from '../../../gateway/session/store-factory.js';
import type { SessionStore } from '../../../gateway/session/store.js';
import { TestRedis } from '../../helpers/redis-server.js';
import { allKeys } from './scan-keys.js';
import { f, ok, ops, request, TIMEOUTS, usePlacementOf } from './store-fixtures.js';

/**
 * Encryption at rest (SESSION_STORE_KEY) against a real redis-server: what Redis holds — every key's name, its
 * values and its DUMP — names no principal and holds no attribute value in clear; rotation keeps sessions readable,
 * re-seals them on their next write and keeps the principal index; the wrong key stops start-up.
 */

const PRINCIPAL = 'alice.secret@example.com';
const VALUES = { note: 'attribute-in-clear-XYZ', n: 424242, city: 'Zürich-Ωmega' };
const CLEAR_TEXTS = [PRINCIPAL, 'attribute-in-clear-XYZ', '424242', '424243', 'Zürich-Ωmega', 'Z\\u00fcrich'];

const load = (store: SessionStore, key: string, now: number) => store.load(key, { now, touchAfterMs: 60_000, ...TIMEOUTS });

describe('RedisSessionStore with SESSION_STORE_KEY (encryption at rest)', () => {
  let redis: TestRedis;
  before(async () => {
    redis = await TestRedis.start();
    // DUMP payloads uncompressed, so a value in clear would show in them byte for byte.
    await redis.client().config('SET', 'rdbcompression', 'no');
  });
  after(async () => {
    await redis.close();
  });
  const opened: SessionStore[] = [];
  beforeEach(async () => {
    await redis.client().flushall();
  });
  afterEach(async () => {
    // A store a failed assertion left open would keep the test process alive.
    await Promise.all(opened.splice(0).map((s) => s.close().catch(() => {})));
  });

  async function open(keys: Buffer[]): Promise<SessionStore> {
    const store = await createSessionStore({ redisUrl: redis.url, ...(keys.length > 0 ? { storeKeys: keys } : {}) });
    opened.push(store);
    return store;
  }

  /** A logged-in session holding VALUES, its counter incremented once: what a real user's session looks like. */
  async function aSession(store: SessionStore, now: number): Promise<string> {
    usePlacementOf(store);
    const created = ok(await store.commit(request(now, { ops: ops({ set: VALUES }), login: { principal: PRINCIPAL, maxPerPrincipal: 2, onLimit: 'evict-oldest' } })));
    const loaded = await load(store, created.key, now + 1);
    assert.ok(loaded.found);
    ok(await store.commit(request(now + 2, { key: created.key, ops: ops({ incr: { n: 1 } }) })));
    return created.key;
  }

  /** Everything Redis holds as text: each key's name, its values (by type) and its DUMP payload. */
  async function everything(): Promise<string> {
    const c = redis.client();
    const parts: string[] = [];
    for (const key of await allKeys(c)) {
      parts.push(key);
      const type = await c.type(key);
      if (type === 'hash') parts.push(...Object.entries(await c.hgetall(key)).flat());
      else if (type === 'zset') parts.push(...(await c.zrange(key, 0, -1)));
      else if (type === 'string') parts.push((await c.get(key)) ?? '');
      parts.push(((await c.dumpBuffer(key)) ?? Buffer.alloc(0)).toString('latin1'), ((await c.dumpBuffer(key)) ?? Buffer.alloc(0)).toString('utf8'));
    }
    return parts.join('\n');
  }

  it('holds no principal and no attribute value in clear in any key, value or DUMP — and the check sees them without a key', async () => {
    const now = Date.now();
    const plain = await open([]);
    await aSession(plain, now);
    await plain.close();
    const inClear = await everything();
    for (const text of [PRINCIPAL, 'attribute-in-clear-XYZ', '424243']) assert.ok(inClear.includes(text), `the check must see ${text} when nothing is sealed`);

    await redis.client().flushall();
    const store = await open([randomBytes(32)]);
    const key = await aSession(store, now);
    const dump = await everything();
    for (const text of CLEAR_TEXTS) assert.ok(!dump.includes(text), `${JSON.stringify(text)} is in Redis in clear`);

    // Yet the gateway reads it all back, and the admin API lists and ends the user's sessions by name.
    const loaded = await load(store, key, now + 3);
    assert.ok(loaded.found);
    assert.equal(loaded.session.principal, PRINCIPAL);
    assert.deepEqual(Object.fromEntries([...loaded.session.fields].map(([k, v]) => [k.slice(1), JSON.parse(v) as unknown])), { ...VALUES, n: 424243 });
    const listed = await store.listByPrincipal(PRINCIPAL, now + 3);
    assert.equal(listed.length, 1);
    assert.equal(listed[0]?.principal, PRINCIPAL);
    const swept = await store.sweepExpired(now + TIMEOUTS.absoluteTimeoutMs, { owner: 't', lockMs: 1000, batch: 10 });
    assert.deepEqual(swept.swept && swept.expired.map((e) => e.principal), [PRINCIPAL], 'the sweep logs the principal in clear');
    await store.close();
  });

  it('rotation: every session stays readable, is re-sealed under the new key on its next write, and keeps its principal index', async () => {
    const [k1, k2] = [randomBytes(32), randomBytes(32)];
    const now = Date.now();
    const before = await open([k1]);
    const written = await aSession(before, now);
    const untouched = await aSession(before, now);
    await before.close();
    const prefix = (key: string) => `${bucketPrefix(bucketOfKey(key))}s:${key}`;
    const sealedUnder = async (key: string) => new Set(Object.entries(await redis.client().hgetall(prefix(key)))
      .filter(([field]) => !field.startsWith('#') || field === '#p').map(([, value]) => /^~\d+~([^.]+)\./.exec(value)?.[1] ?? 'clear'));
    assert.deepEqual(await sealedUnder(written), new Set([keyIdOf(k1)]));

    const rotated = await open([k2, k1]);
    assert.match((await redis.client().get(INDEX_KEY_KEY)) ?? '', new RegExp(`^~\\d+~${keyIdOf(k2)}\\.`), 'the index key is re-sealed at start-up');
    for (const key of [written, untouched]) {
      const loaded = await load(rotated, key, now + 3);
      assert.ok(loaded.found);
      assert.equal(loaded.session.principal, PRINCIPAL);
      assert.equal(loaded.session.fields.get(f('note')), JSON.stringify(VALUES.note));
    }
    assert.deepEqual((await rotated.listByPrincipal(PRINCIPAL, now + 3)).length, 2, 'the principal index id did not change');
    ok(await rotated.commit(request(now + 4, { key: written, ops: ops({ set: { seen: true } }) })));
    assert.deepEqual(await sealedUnder(written), new Set([keyIdOf(k2)]), 'every value and the principal re-sealed by the write');
    assert.deepEqual(await sealedUnder(untouched), new Set([keyIdOf(k1)]), 'a session not written keeps the old key');
    await rotated.close();

    // Once the old key is dropped, the re-sealed session still reads; one still under it says which key it needs.
    const after = await open([k2]);
    const loaded = await load(after, written, now + 5);
    assert.ok(loaded.found);
    assert.equal(loaded.session.fields.get(f('n')), '424243');
    assert.equal(loaded.session.fields.get(f('seen')), 'true');
    await assert.rejects(load(after, untouched, now + 5), (err: unknown) => err instanceof GatewayError && err.code === 'SG_STORE_KEY_MISMATCH' && err.message.includes(keyIdOf(k1)));
    await after.close();
    // Without any key, a sealed session is refused too — its ciphertext never passes for a value or a principal.
    const unkeyed = await open([]);
    await assert.rejects(load(unkeyed, written, now + 5), (err: unknown) => err instanceof GatewayError && err.code === 'SG_STORE_KEY_MISMATCH' && /not set/.test(err.message));
  });

  it('turning encryption on: sessions written in clear stay readable and findable by principal, and are sealed on their next write', async () => {
    const now = Date.now();
    const plain = await open([]);
    const key = await aSession(plain, now);
    await plain.close();
    const store = await open([randomBytes(32)]);
    const loaded = await load(store, key, now + 3);
    assert.ok(loaded.found);
    assert.equal(loaded.session.principal, PRINCIPAL);
    assert.equal((await store.listByPrincipal(PRINCIPAL, now + 3)).length, 1, 'found under its clear index entry');
    ok(await store.commit(request(now + 4, { key, ops: ops({ incr: { n: 1 } }) })));
    // Sealed now — but for its index id (#q): the session stays filed under its clear name until it ends or logs in again.
    const { '#q': indexId, ...stored } = await redis.client().hgetall(`${bucketPrefix(bucketOfKey(key))}s:${key}`);
    assert.equal(indexId, PRINCIPAL);
    for (const text of CLEAR_TEXTS) assert.ok(!Object.values(stored).some((v) => v.includes(text)), `${text} still in clear after the write`);
    const again = await load(store, key, now + 5);
    assert.ok(again.found);
    assert.equal(again.session.fields.get(f('n')), '424244');
    assert.deepEqual(await store.destroyByPrincipal(PRINCIPAL, now + 5), [again.session.handle]);
    await store.close();
  });

  it('refuses to start with a key that does not open the principal index key, and refuses a value moved to another field', async () => {
    const k1 = randomBytes(32);
    const store = await open([k1]);
    const key = await aSession(store, Date.now());
    await store.close();
    await assert.rejects(open([randomBytes(32)]), (err: unknown) => err instanceof GatewayError && err.code === 'SG_STORE_KEY_MISMATCH' && err.message.includes(keyIdOf(k1)));

    const hash = `${bucketPrefix(bucketOfKey(key))}s:${key}`;
    await redis.client().hset(hash, f('city'), (await redis.client().hget(hash, f('note')))!);
    const reopened = await open([k1]);
    await assert.rejects(load(reopened, key, Date.now()), (err: unknown) => err instanceof GatewayError && err.code === 'SG_STORE_KEY_MISMATCH' && /altered/.test(err.message));
    await reopened.close();
  });
});
