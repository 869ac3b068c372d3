import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { WriteBackError } from '../../../gateway/errors.js';
import { SCOPE_SEPARATOR } from '../../../gateway/session/store.js';
import { parseWriteBack, type WriteBack } from '../../../gateway/session/write-back.js';
import { fuzzInWorker, fuzzParameters, servePropertiesInWorker } from '../../helpers/fuzz.js';

/**
 * Fuzzing the write-back parser (X-Session-Update / -Login / -Logout as a backend's bytes arrive: one latin1
 * character per byte) with a fixed seed: it never throws anything but a WriteBackError, never hangs, and what it
 * accepts is well-formed; valid updates round-trip exactly; distinct principal bytes never become one principal.
 */

const wire = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');
const b64 = (text: string): string => `b64:${Buffer.from(text, 'utf8').toString('base64url')}`;

const rawBytes = fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1'));
const name = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', '', 'a\u0000b', '\ud800', 'é', 'n'.repeat(257), '#meta'),
);
const update = fc.record(
  {
    set: fc.dictionary(name, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }),
    unset: fc.array(name, { maxLength: 4 }),
    incr: fc.dictionary(name, fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.double(), fc.string(), fc.constant(null)), { maxKeys: 4 }),
    extra: fc.anything(),
  },
  { requiredKeys: [] },
);
/** An update as a backend might send it: raw UTF-8, b64:, either of them damaged, or not JSON at all. */
const updateHeader = fc.oneof(
  update.map((u) => wire(JSON.stringify(u))),
  update.map((u) => b64(JSON.stringify(u))),
  fc.tuple(update, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([u, at, bytes]) => {
    const text = Buffer.from(JSON.stringify(u));
    const i = at % (text.length + 1);
    return Buffer.concat([text.subarray(0, i), Buffer.from(bytes), text.subarray(i + 1)]).toString('latin1');
  }),
  fc.jsonValue().map((v) => wire(JSON.stringify(v))),
  rawBytes,
  rawBytes.map((r) => `b64:${r}`),
);
const loginHeader = fc.oneof(rawBytes, fc.string({ unit: 'binary', maxLength: 40 }).map(wire), fc.string({ unit: 'binary', maxLength: 40 }).map(b64), rawBytes.map((r) => `b64:${r}`));
const logoutHeader = fc.oneof(fc.constantFrom('1', 'true', 'TRUE', '0', '', 'yes'), rawBytes);
const headerValue = <T>(value: fc.Arbitrary<T>) => fc.option(fc.oneof(value, fc.array(value, { maxLength: 2 })), { nil: undefined });
const headers = fc.record({ 'x-session-update': headerValue(updateHeader), 'x-session-login': headerValue(loginHeader), 'x-session-logout': headerValue(logoutHeader) });

const NAME_OK = /^[^\x00-\x1f\x7f-\x9f\u2028\u2029\p{Cs}]{1,256}$/u;

function assertWellFormed(wb: WriteBack, scope: string): void {
  const fields = [...wb.ops.set.keys(), ...wb.ops.unset, ...wb.ops.incr.keys()];
  assert.equal(new Set(fields).size, fields.length, 'an attribute is in one operation only');
  for (const field of fields) {
    assert.ok(field.startsWith(scope + SCOPE_SEPARATOR), 'every field is in the location scope');
    assert.match(field.slice(scope.length + 1), NAME_OK);
  }
  for (const json of wb.ops.set.values()) assert.equal(JSON.stringify(JSON.parse(json)), json, 'set values are canonical JSON');
  for (const delta of wb.ops.incr.values()) assert.ok(Number.isSafeInteger(delta));
  if (wb.login !== null) {
    assert.match(wb.login, NAME_OK);
    assert.ok(Buffer.byteLength(wb.login) <= 256);
  }
  assert.ok(!(wb.login !== null && wb.logout), 'never login and logout together');
}

const properties = {
  neverCrashes(): void {
    fc.assert(
      fc.property(headers, fc.constantFrom('', 'shop'), (h, scope) => {
        let wb: WriteBack | null;
        try {
          wb = parseWriteBack(h, scope);
        } catch (err) {
          assert.ok(err instanceof WriteBackError, `only WriteBackError may escape, got ${String(err)}`);
          assert.ok(err.code === 'SG_WRITEBACK_MALFORMED' || err.code === 'SG_WRITEBACK_TOO_LARGE');
          return;
        }
        if (wb) assertWellFormed(wb, scope);
      }),
      fuzzParameters(4_000),
    );
  },

  validUpdatesRoundTrip(): void {
    const validName = fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).filter((n) => NAME_OK.test(n));
    fc.assert(
      fc.property(
        fc.uniqueArray(validName, { minLength: 0, maxLength: 9 }),
        fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: 9, maxLength: 9 }),
        fc.array(fc.maxSafeInteger(), { minLength: 9, maxLength: 9 }),
        fc.boolean(),
        (names, values, deltas, encoded) => {
          const set = Object.fromEntries(names.slice(0, 3).map((n, i) => [n, values[i]]));
          const unset = names.slice(3, 6);
          const incr = Object.fromEntries(names.slice(6).map((n, i) => [n, deltas[i]]));
          const json = JSON.stringify({ set, unset, incr });
          const wb = parseWriteBack({ 'x-session-update': encoded ? b64(json) : wire(json) }, '');
          assert.ok(wb);
          assert.deepEqual([...wb.ops.set], Object.entries(set).map(([n, v]) => [SCOPE_SEPARATOR + n, JSON.stringify(v)]));
          assert.deepEqual(wb.ops.unset, unset.map((n) => SCOPE_SEPARATOR + n));
          assert.deepEqual([...wb.ops.incr], Object.entries(incr).map(([n, d]) => [SCOPE_SEPARATOR + n, d]));
        },
      ),
      fuzzParameters(1_500),
    );
  },

  principalsNeverMerge(): void {
    const login = (raw: string): string | null => {
      try {
        return parseWriteBack({ 'x-session-login': raw }, '')?.login ?? null;
      } catch {
        return null;
      }
    };
    fc.assert(
      fc.property(rawBytes, rawBytes, (a, b) => {
        fc.pre(a.trim() !== b.trim() && !a.startsWith('b64:') && !b.startsWith('b64:'));
        const pa = login(a);
        const pb = login(b);
        if (pa !== null && pb !== null) assert.notEqual(pa, pb, 'two different byte strings named one principal');
      }),
      fuzzParameters(5_000),
    );
  },
};

if (!servePropertiesInWorker(properties)) {
  describe('fuzzing the write-back parser (fixed seed)', () => {
    for (const property of Object.keys(properties)) {
      it(property, { timeout: 120_000 }, () => fuzzInWorker(new URL(import.meta.url), property, 90_000));
    }
  });
}
