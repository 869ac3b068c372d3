import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { waitFor } from '../../helpers/wait-for.js';
import { GatewayError } from '../../../gateway/errors.js';
import { attributeField, encodedSize, type AttributeOps, type CommitRequest, type SessionStore } from '../../../gateway/session/store.js';
import { f, id, MIN, ok, ops, request, sessionStateKeys, TIMEOUTS, usePlacementOf, type StoreUnderTest } from './store-fixtures.js';
import { runLifecycleConformance } from './store-lifecycle-conformance.js';

/**
 * The one behaviour suite every SessionStore runs (memory-store.test.ts, redis-store.test.ts). Time is always the
 * `now` argument: no test sleeps. `storedKeys()` lists what the store holds, named like the Redis keys without
 * their prefix (`s:…`, `h:…`, `p:…`, `e:…`), so "nothing is left behind" is checked the same way on both.
 */

export type { StoreUnderTest } from './store-fixtures.js';

const IDLE = TIMEOUTS.idleTimeoutMs;

const loadOptions = (now: number, touchAfterMs = 0) => ({ now, touchAfterMs, ...TIMEOUTS });

export function runStoreConformance(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`SessionStore conformance: ${name}`, () => {
    let t: StoreUnderTest;
    let store: SessionStore;
    let t0: number;

    beforeEach(async () => {
      t = await makeStore();
      store = t.store;
      usePlacementOf(store);
      t0 = Date.now();
    });
    afterEach(async () => {
      await t.close();
    });

    const storedKeys = (): Promise<string[]> => sessionStateKeys(t);

    /** A new anonymous session holding `set`, created at `now`. */
    async function createSession(now: number, set: Record<string, unknown> = { seed: 1 }): Promise<{ key: string; handle: string }> {
      const r = ok(await store.commit(request(now, { ops: ops({ set }) })));
      return { key: r.key, handle: r.handle };
    }

    async function fieldsOf(key: string, now: number): Promise<Record<string, unknown>> {
      const r = await store.load(key, loadOptions(now, IDLE));
      assert.ok(r.found, 'session should exist');
      return Object.fromEntries([...r.session.fields].map(([k, v]) => [k.slice(1), JSON.parse(v)]));
    }

    async function login(key: string, now: number, principal: string, maxPerPrincipal: number, onLimit: 'evict-oldest' | 'reject-new' = 'evict-oldest', extra: Partial<CommitRequest> = {}) {
      return store.commit(request(now, { key, login: { principal, maxPerPrincipal, onLimit }, ...extra }));
    }

    it('reports an unknown key as not found and not expired', async () => {
      assert.deepEqual(await store.load(id(), loadOptions(t0)), { found: false, expired: null });
      assert.deepEqual(await storedKeys(), []);
    });

    it('creates a session lazily on the first commit, under newKey with newHandle', async () => {
      const req = request(t0, { ops: ops({ set: { a: 'x', n: 1 } }), backend: 'b1:80' });
      const r = ok(await store.commit(req));
      assert.equal(r.created, true);
      assert.equal(r.key, req.newKey);
      assert.equal(r.handle, req.newHandle);
      assert.equal(r.principal, null);
      assert.equal(r.destroyed, false);
      const loaded = await store.load(r.key, loadOptions(t0 + 1000, IDLE));
      assert.ok(loaded.found);
      assert.equal(loaded.session.handle, req.newHandle);
      assert.equal(loaded.session.principal, null);
      assert.equal(loaded.session.createdAt, t0);
      assert.equal(loaded.session.lastAccessAt, t0);
      assert.equal(loaded.session.status, null);
      assert.deepEqual(Object.fromEntries(loaded.session.fields), { [f('a')]: '"x"', [f('n')]: '1' });
      assert.equal(loaded.session.size, encodedSize(loaded.session.fields));
      assert.equal(r.size, loaded.session.size);
    });

    it('creates a new session when the key no longer exists, and keeps the key of a live one', async () => {
      const gone = id();
      const req = request(t0, { key: gone, ops: ops({ set: { a: 1 } }) });
      const created = ok(await store.commit(req));
      assert.equal(created.created, true);
      assert.equal(created.key, req.newKey);
      assert.equal((await store.load(gone, loadOptions(t0))).found, false);
      const again = ok(await store.commit(request(t0 + 1, { key: created.key, ops: ops({ set: { b: 2 } }) })));
      assert.equal(again.created, false);
      assert.equal(again.key, created.key);
      assert.equal(again.handle, created.handle);
      assert.deepEqual(await fieldsOf(created.key, t0 + 2), { a: 1, b: 2 });
    });

    it('applies unset, then set, then incr to only the named attributes', async () => {
      const s = await createSession(t0, { keep: 'k', drop: true, n: 5 });
      ok(await store.commit(request(t0 + 1, { key: s.key, ops: ops({ unset: ['drop', 'absent'], set: { added: { deep: [1] } }, incr: { n: -7, fresh: 3 } }) })));
      assert.deepEqual(await fieldsOf(s.key, t0 + 2), { keep: 'k', added: { deep: [1] }, n: -2, fresh: 3 });
      ok(await store.commit(request(t0 + 3, { key: s.key, ops: ops({ unset: ['n'], set: { n: 10 }, incr: { n: 1 } }) })));
      assert.equal((await fieldsOf(s.key, t0 + 4)).n, 11);
    });

    it('keeps scopes apart and stores non-ASCII values byte for byte', async () => {
      const r = ok(await store.commit(request(t0, { ops: { set: new Map([[attributeField('', 'x'), '"shared"'], [attributeField('app1', 'x'), '"é€😀"']]), unset: [], incr: new Map() } })));
      const loaded = await store.load(r.key, loadOptions(t0));
      assert.ok(loaded.found);
      assert.equal(loaded.session.fields.get(attributeField('app1', 'x')), '"é€😀"');
      assert.equal(loaded.session.fields.get(attributeField('', 'x')), '"shared"');
      assert.equal(loaded.session.size, encodedSize(loaded.session.fields));
    });

    it('ends with exactly 50 after 50 concurrent incr', async () => {
      const s = await createSession(t0, { other: 'x' });
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.commit(request(t0 + i, { key: s.key, ops: ops({ incr: { counter: 1 } }) }))));
      for (const r of results) assert.equal(ok(r).key, s.key);
      assert.deepEqual(await fieldsOf(s.key, t0 + 100), { other: 'x', counter: 50 });
    });

    it('keeps every write when concurrent commits touch different attributes', async () => {
      const s = await createSession(t0);
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.commit(request(t0 + i, { key: s.key, ops: ops({ set: { [`a${i}`]: i } }) }))));
      const fields = await fieldsOf(s.key, t0 + 100);
      for (let i = 0; i < 20; i++) assert.equal(fields[`a${i}`], i);
      assert.equal(fields.seed, 1);
    });

    it('refuses a commit over maxBytes and leaves the session unchanged', async () => {
      const s = await createSession(t0, { a: 'x', n: 1 });
      const before = await fieldsOf(s.key, t0);
      const r = await store.commit(request(t0 + 1, { key: s.key, maxBytes: 200, ops: ops({ set: { big: 'y'.repeat(300) }, unset: ['a'], incr: { n: 1 } }) }));
      assert.equal(r.ok, false);
      assert.ok(!r.ok && r.code === 'SG_WRITEBACK_TOO_LARGE' && r.size > 200, JSON.stringify(r));
      assert.deepEqual(await fieldsOf(s.key, t0 + 2), before);
      // Exactly at the cap is allowed: the size counts attributes as they appear in the X-Session data claim.
      const atCap = encodedSize([[f('a'), '"x"'], [f('n'), '1'], [f('big'), '""']]);
      ok(await store.commit(request(t0 + 3, { key: s.key, maxBytes: atCap, ops: ops({ set: { big: '' } }) })));
      const tooNew = await store.commit(request(t0, { maxBytes: 10, ops: ops({ set: { big: 'y'.repeat(20) } }) }));
      assert.equal(tooNew.ok, false);
    });

    it('sizes attributes by their bytes in the X-Session data claim: JSON names (quotes escaped), UTF-8 values', async () => {
      const set = { plain: 'x', 'q"uo\\te': 1, 'é': '서울🍪', n: null };
      const s = ok(await store.commit(request(t0, { ops: ops({ set }) })));
      // `"plain":"x",` + `"q\"uo\\te":1,` + `"é":"서울🍪",` + `"n":null,` — each name as JSON, ":", value, ",".
      const expected = Buffer.byteLength('"plain":"x","q\\"uo\\\\te":1,"é":"서울🍪","n":null,');
      assert.equal(s.size, expected);
      const loaded = await store.load(s.key, loadOptions(t0));
      assert.ok(loaded.found);
      assert.equal(loaded.session.size, expected);
      assert.equal(encodedSize(loaded.session.fields), expected);
    });

    it('refuses incr of a non-integer and applies nothing of that commit', async () => {
      const s = await createSession(t0, { name: 'abc', half: 1.5, n: 1 });
      const before = await fieldsOf(s.key, t0);
      for (const field of ['name', 'half']) {
        const r = await store.commit(request(t0 + 1, { key: s.key, ops: ops({ set: { other: 1 }, unset: ['n'], incr: { [field]: 1 } }) }));
        assert.deepEqual(r, { ok: false, code: 'SG_WRITEBACK_NOT_NUMBER', field: f(field) });
      }
      assert.deepEqual(await fieldsOf(s.key, t0 + 2), before);
      const created = await store.commit(request(t0, { ops: ops({ set: { s: 'x' }, incr: { s: 1 } }) }));
      assert.equal(created.ok, false);
      assert.deepEqual(await storedKeys(), [`s:${s.key}`, 'k', 'x', 'z'].sort());
    });

    it('expires an idle session, tells it apart from an unknown key once, then forgets it', async () => {
      const s = await createSession(t0);
      assert.deepEqual(await store.load(s.key, loadOptions(t0 + IDLE + 1)), { found: false, expired: 'idle' });
      assert.deepEqual(await store.load(s.key, loadOptions(t0 + IDLE + 2)), { found: false, expired: null });
      assert.equal(await store.destroyByHandle(s.handle), false);
      assert.deepEqual(await storedKeys(), []);
    });

    it('slides the idle timeout on load, throttled by touchAfterMs', async () => {
      const s = await createSession(t0);
      const early = await store.load(s.key, loadOptions(t0 + MIN, 5 * MIN));
      assert.ok(early.found);
      assert.equal(early.session.lastAccessAt, t0, 'not touched before touchAfterMs');
      const touched = await store.load(s.key, loadOptions(t0 + 20 * MIN, 5 * MIN));
      assert.ok(touched.found);
      assert.equal(touched.session.lastAccessAt, t0 + 20 * MIN);
      const later = await store.load(s.key, loadOptions(t0 + 45 * MIN, 5 * MIN));
      assert.ok(later.found, 'alive: the touch at 20 min moved the idle deadline to 50 min');
      const commitTouch = ok(await store.commit(request(t0 + 70 * MIN, { key: s.key, ops: ops({ set: { x: 1 } }) })));
      assert.equal(commitTouch.created, false, 'the load at 45 min touched it');
      assert.deepEqual(await store.load(s.key, loadOptions(t0 + 101 * MIN, 5 * MIN)), { found: false, expired: 'idle' });
    });

    it('expires a session at the absolute timeout however busy it is', async () => {
      const s = await createSession(t0);
      const timeouts = { idleTimeoutMs: IDLE, absoluteTimeoutMs: 60 * MIN };
      for (let m = 20; m < 60; m += 20) {
        assert.ok((await store.load(s.key, { now: t0 + m * MIN, touchAfterMs: 0, ...timeouts })).found);
      }
      assert.deepEqual(await store.load(s.key, { now: t0 + 60 * MIN, touchAfterMs: 0, ...timeouts }), { found: false, expired: 'absolute' });
      assert.deepEqual(await storedKeys(), []);
    });

    it('treats a commit to an expired session as a new session', async () => {
      const s = await createSession(t0, { old: 1 });
      const req = request(t0 + IDLE + 1, { key: s.key, ops: ops({ set: { fresh: 1 } }) });
      const r = ok(await store.commit(req));
      assert.equal(r.created, true);
      assert.equal(r.key, req.newKey);
      assert.notEqual(r.handle, s.handle);
      assert.deepEqual(await fieldsOf(r.key, t0 + IDLE + 2), { fresh: 1 });
      assert.deepEqual((await storedKeys()).sort(), [`s:${r.key}`, 'k', 'x', 'z'].sort());
    });

    it('rotates the key at login, keeping data and handle, and binds the principal', async () => {
      const s = await createSession(t0, { cart: [1, 2] });
      const req = request(t0 + 1, { key: s.key, login: { principal: 'alice', maxPerPrincipal: 0, onLimit: 'evict-oldest' }, ops: ops({ set: { step: 2 } }) });
      const r = ok(await store.commit(req));
      assert.equal(r.key, req.newKey);
      assert.notEqual(r.key, s.key);
      assert.equal(r.handle, s.handle);
      assert.equal(r.principal, 'alice');
      assert.equal(r.created, false);
      assert.deepEqual(r.evicted, []);
      assert.deepEqual(await store.load(s.key, loadOptions(t0 + 2)), { found: false, expired: null });
      const loaded = await store.load(r.key, loadOptions(t0 + 2));
      assert.ok(loaded.found);
      assert.equal(loaded.session.principal, 'alice');
      assert.equal(loaded.session.handle, s.handle);
      assert.equal(loaded.session.createdAt, t0);
      assert.deepEqual(await fieldsOf(r.key, t0 + 3), { cart: [1, 2], step: 2 });
      // A later commit without login keeps the principal and the key.
      const after = ok(await store.commit(request(t0 + 4, { key: r.key, ops: ops({ incr: { n: 1 } }) })));
      assert.equal(after.key, r.key);
      assert.equal(after.principal, 'alice');
    });

    it('keeps the pre-login key an alias of the rotated session for the login grace, then forgets it', async () => {
      const s = await createSession(t0, { draft: 'typed before login' });
      const grace = { principal: 'lena', maxPerPrincipal: 0, onLimit: 'evict-oldest' as const, graceMs: 400 };
      const r = ok(await store.commit(request(t0 + 1, { key: s.key, login: grace })));
      assert.notEqual(r.key, s.key);
      // A request still in flight with the old cookie reads and writes the logged-in session, creating nothing.
      const through = await store.load(s.key, loadOptions(t0 + 2));
      assert.ok(through.found, 'the alias opens the rotated session');
      assert.deepEqual([through.session.key, through.session.handle, through.session.principal], [r.key, s.handle, 'lena']);
      const saved = ok(await store.commit(request(t0 + 3, { key: s.key, ops: ops({ set: { draft: 'autosaved' } }) })));
      assert.deepEqual([saved.key, saved.created, saved.handle], [r.key, false, s.handle]);
      assert.deepEqual(await fieldsOf(r.key, t0 + 4), { draft: 'autosaved' });
      assert.ok((await storedKeys()).includes(`r:${s.key}`));
      // After the grace the old id opens nothing (the session-fixation defence is back in full).
      await waitFor(async () => !(await store.load(s.key, loadOptions(Date.now() + 1_000))).found, { what: 'the alias to lapse' });
      const sweep = { owner: 'alias-test', lockMs: 1_000, batch: 100 };
      await store.sweepExpired(Date.now() + 1_000, sweep);
      assert.ok(!(await storedKeys()).includes(`r:${s.key}`), 'the alias is gone');
      assert.ok((await store.load(r.key, loadOptions(t0 + 5))).found);
    });

    it('applies a write racing a login through the pre-login key to the rotated session (the login race)', async () => {
      for (let round = 0; round < 5; round++) {
        const s = await createSession(t0, { n: 0 });
        const principal = `racer${round}`;
        const [logged, saved] = await Promise.all([
          store.commit(request(t0 + 1, { key: s.key, login: { principal, maxPerPrincipal: 1, onLimit: 'reject-new', graceMs: 5_000 }, ops: ops({ set: { step: 'login' } }) })),
          store.commit(request(t0 + 1, { key: s.key, ops: ops({ incr: { n: 1 } }) })),
        ]);
        const rotated = ok(logged);
        assert.equal(ok(saved).created, false, 'the racing write did not start a new session');
        assert.equal(ok(saved).handle, s.handle);
        assert.deepEqual(await fieldsOf(rotated.key, t0 + 2), { n: 1, step: 'login' });
        assert.deepEqual((await store.listByPrincipal(principal, t0 + 2)).map((x) => x.handle), [s.handle]);
      }
    });

    it('creates a session at login when there was none', async () => {
      const req = request(t0, { login: { principal: 'bob', maxPerPrincipal: 1, onLimit: 'reject-new' } });
      const r = ok(await store.commit(req));
      assert.equal(r.created, true);
      assert.equal(r.key, req.newKey);
      assert.equal(r.principal, 'bob');
      assert.deepEqual((await store.listByPrincipal('bob', t0)).map((x) => x.handle), [r.handle]);
    });

    it('leaves exactly one live session after 20 concurrent logins with a limit of 1', async () => {
      const sessions = await Promise.all(Array.from({ length: 20 }, (_, i) => createSession(t0, { i })));
      const results = await Promise.all(sessions.map((s, i) => login(s.key, t0 + 1 + i, 'carol', 1)));
      const live = await store.listByPrincipal('carol', t0 + 100);
      assert.equal(live.length, 1);
      const evicted = results.flatMap((r) => ok(r).evicted);
      assert.equal(evicted.length, 19);
      assert.equal(new Set(evicted).size, 19);
      assert.ok(!evicted.includes(live[0]!.handle));
      let found = 0;
      for (const r of results) if ((await store.load(ok(r).key, loadOptions(t0 + 100))).found) found++;
      assert.equal(found, 1);
    });

    it('refuses a login over the limit with reject-new and applies nothing of it', async () => {
      const first = await createSession(t0);
      ok(await login(first.key, t0 + 1, 'dave', 1, 'reject-new'));
      const second = await createSession(t0 + 2, { mine: 1 });
      const r = await login(second.key, t0 + 3, 'dave', 1, 'reject-new', { ops: ops({ set: { leaked: true } }) });
      assert.deepEqual(r, { ok: false, code: 'SG_LOGIN_REJECTED', live: 1 });
      const loaded = await store.load(second.key, loadOptions(t0 + 4));
      assert.ok(loaded.found, 'the refused session keeps its key');
      assert.equal(loaded.session.principal, null);
      assert.deepEqual(await fieldsOf(second.key, t0 + 4), { mine: 1 });
      assert.equal((await store.listByPrincipal('dave', t0 + 5)).length, 1);
      // The limit is per principal: the refused session can still log in as someone else.
      assert.equal(ok(await login(second.key, t0 + 6, 'erin', 1, 'reject-new')).principal, 'erin');
    });

    it('evict-oldest ends the oldest session and reports it evicted exactly once', async () => {
      const a = await createSession(t0);
      const ra = ok(await login(a.key, t0 + 1, 'frank', 2));
      const b = await createSession(t0 + 2);
      const rb = ok(await login(b.key, t0 + 3, 'frank', 2));
      assert.deepEqual(rb.evicted, []);
      const c = await createSession(t0 + 4);
      const rc = ok(await login(c.key, t0 + 5, 'frank', 2));
      assert.deepEqual(rc.evicted, [ra.handle]);
      assert.deepEqual((await store.listByPrincipal('frank', t0 + 6)).map((x) => x.handle), [rb.handle, rc.handle]);
      assert.deepEqual(await store.load(ra.key, loadOptions(t0 + 7)), { found: false, expired: null, evicted: true });
      assert.deepEqual(await store.load(ra.key, loadOptions(t0 + 8)), { found: false, expired: null });
      assert.ok((await store.load(rb.key, loadOptions(t0 + 9))).found);
      assert.equal(await store.destroyByHandle(ra.handle), false);
      assert.ok(!(await storedKeys()).some((k) => k.startsWith('e:')), 'the tombstone is gone once reported');
    });

    it('removes every key of the session at logout', async () => {
      const s = await createSession(t0, { a: 1 });
      const r = ok(await login(s.key, t0 + 1, 'gina', 0));
      const out = ok(await store.commit(request(t0 + 2, { key: r.key, logout: true, ops: ops({ set: { ignored: 1 } }) })));
      assert.equal(out.destroyed, true);
      assert.equal(out.handle, s.handle);
      assert.deepEqual(await store.load(r.key, loadOptions(t0 + 3)), { found: false, expired: null });
      assert.deepEqual(await store.listByPrincipal('gina', t0 + 3), []);
      assert.deepEqual(await storedKeys(), []);
      const none = ok(await store.commit(request(t0 + 4, { key: id(), logout: true })));
      assert.equal(none.destroyed, false);
      assert.equal(none.created, false);
      assert.deepEqual(await storedKeys(), []);
    });

    it('lists a principal\'s live sessions oldest first and drops ended ones from the index', async () => {
      const handles: string[] = [];
      const keys: string[] = [];
      for (let i = 0; i < 3; i++) {
        const s = await createSession(t0 + i, { i });
        const r = ok(await login(s.key, t0 + 10 * MIN + i, 'hank', 0, 'evict-oldest', { backend: `b${i}:80`, ops: ops({ set: { pad: 'x'.repeat(i) } }) }));
        handles.push(r.handle);
        keys.push(r.key);
      }
      const list = await store.listByPrincipal('hank', t0 + 11 * MIN);
      assert.deepEqual(list.map((x) => x.handle), handles);
      assert.deepEqual(list.map((x) => x.backend), ['b0:80', 'b1:80', 'b2:80']);
      assert.deepEqual(list.map((x) => x.createdAt), [t0, t0 + 1, t0 + 2]);
      assert.deepEqual(list.map((x) => x.lastAccessAt), [t0 + 10 * MIN, t0 + 10 * MIN + 1, t0 + 10 * MIN + 2]);
      for (const [i, x] of list.entries()) {
        assert.equal(x.principal, 'hank');
        assert.equal(x.size, encodedSize([[f('i'), String(i)], [f('pad'), JSON.stringify('x'.repeat(i))]]));
      }
      assert.equal(await store.destroyByHandle(handles[1]!), true);
      assert.equal(await store.destroyByHandle(handles[1]!), false);
      assert.deepEqual((await store.listByPrincipal('hank', t0 + 11 * MIN)).map((x) => x.handle), [handles[0], handles[2]]);
      // Keep the newest alive, let the oldest run past its idle timeout: the list drops and cleans it.
      assert.ok((await store.load(keys[2]!, loadOptions(t0 + 35 * MIN))).found);
      assert.deepEqual((await store.listByPrincipal('hank', t0 + 41 * MIN)).map((x) => x.handle), [handles[2]]);
      assert.ok(!(await storedKeys()).includes(`s:${keys[0]}`));
      assert.deepEqual(await store.listByPrincipal('nobody', t0), []);
      assert.equal(await store.destroyByHandle(handles[2]!), true);
      assert.deepEqual(await storedKeys(), []);
    });

    it('moves the session between principals on a login as someone else', async () => {
      const s = await createSession(t0);
      const r1 = ok(await login(s.key, t0 + 1, 'ivan', 0));
      const r2 = ok(await login(r1.key, t0 + 2, 'judy', 0));
      assert.equal(r2.handle, s.handle);
      assert.equal(r2.principal, 'judy');
      assert.deepEqual(await store.listByPrincipal('ivan', t0 + 3), []);
      assert.deepEqual((await store.listByPrincipal('judy', t0 + 3)).map((x) => x.handle), [s.handle]);
      // The same principal logging in again from its own session does not count against its limit.
      const r3 = await login(r2.key, t0 + 4, 'judy', 1, 'reject-new');
      assert.equal(ok(r3).handle, s.handle);
    });

    it('rejects an attribute field that could collide with the store\'s own fields', async () => {
      const bad: AttributeOps = { set: new Map([['#h', '"x"']]), unset: [], incr: new Map() };
      await assert.rejects(store.commit(request(t0, { ops: bad })), (err: unknown) => err instanceof GatewayError && err.code === 'SG_WRITEBACK_MALFORMED');
      assert.deepEqual(await storedKeys(), []);
    });

    it('answers ping', async () => {
      await store.ping();
    });
  });
  runLifecycleConformance(name, makeStore);
}
