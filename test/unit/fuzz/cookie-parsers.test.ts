import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { defaults } from '../../../gateway/config/settings.js';
import { CookieSigner, setCookieName, setsSessionCookie } from '../../../gateway/session/cookie.js';
import { MemorySessionStore } from '../../../gateway/session/memory-store.js';
import { SessionService } from '../../../gateway/session/session-service.js';
import { withoutCookie } from '../../../gateway/proxy/headers.js';
import { fuzzInWorker, fuzzParameters, servePropertiesInWorker } from '../../helpers/fuzz.js';

/**
 * Fuzzing the cookie parsers with a fixed seed: the session cookie's signature check (a client's Cookie header),
 * the Cookie header parse and rewrite the request path does, and the reading of a backend's Set-Cookie. None throws
 * or hangs; no value the signer did not mint verifies; the session cookie never reaches a backend.
 */

const SECRET = 'fuzz-secret-0123456789abcdef';
const signer = new CookieSigner([SECRET, 'older-secret-0123456789abcdef']);
const service = new SessionService({ store: new MemorySessionStore({ sweepIntervalMs: 0 }), secrets: [SECRET], headerKey: Buffer.from('k'.repeat(32)) });

const latin1 = fc.uint8Array({ maxLength: 160 }).map((b) => Buffer.from(b).toString('latin1'));
const cookieChars = fc.string({ unit: fc.constantFrom(...'gsid=;, "\t\\%AZaz09._-=\u00e9'.split('')), maxLength: 80 });
const cookieHeader = fc.oneof(latin1, cookieChars, fc.array(fc.tuple(fc.oneof(fc.constant('gsid'), cookieChars), cookieChars), { maxLength: 6 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('; ')));

const properties = {
  signatureCheck(): void {
    const minted = signer.mint();
    fc.assert(
      fc.property(fc.oneof(latin1, cookieChars, fc.tuple(fc.nat(), fc.integer({ min: 0, max: 127 })).map(([at, code]) => {
        // One character of a valid value changed: never a valid cookie.
        const i = at % minted.value.length;
        return minted.value.slice(0, i) + String.fromCharCode(code) + minted.value.slice(i + 1);
      })), (value) => {
        const id = signer.verify(value);
        if (value !== minted.value) assert.equal(id, null, `verified a value the signer did not mint: ${JSON.stringify(value)}`);
      }),
      fuzzParameters(5_000),
    );
    assert.equal(signer.verify(minted.value), minted.id);
  },

  cookieHeaderParseAndRewrite(): void {
    fc.assert(
      fc.property(cookieHeader, (header) => {
        const value = service.cookieValueOf(header, defaults.session.cookieName);
        assert.ok(value === undefined || typeof value === 'string');
        const rewritten = withoutCookie(header, 'gsid');
        if (rewritten !== null) {
          for (const pair of rewritten.split(';')) {
            const eq = pair.indexOf('=');
            assert.notEqual((eq === -1 ? pair : pair.slice(0, eq)).trim(), 'gsid', `the session cookie would reach the backend: ${rewritten}`);
          }
        }
      }),
      fuzzParameters(5_000),
    );
  },

  backendSetCookie(): void {
    fc.assert(
      fc.property(fc.oneof(latin1, cookieChars), fc.constantFrom('gsid', 'SID', '__Host-s'), (value, name) => {
        const parsed = setCookieName(value);
        assert.equal(parsed, parsed.trim());
        assert.ok(!parsed.includes(';') && !parsed.includes('='));
        assert.equal(setsSessionCookie(value, name), parsed.toLowerCase() === name.toLowerCase());
        // Whatever follows the name, the same name is recognised.
        assert.equal(setsSessionCookie(`${name}=${value}`, name), true);
      }),
      fuzzParameters(5_000),
    );
  },
};

if (!servePropertiesInWorker(properties)) {
  describe('fuzzing the cookie parsers (fixed seed)', () => {
    for (const property of Object.keys(properties)) {
      it(property, { timeout: 120_000 }, () => fuzzInWorker(new URL(import.meta.url), property, 90_000));
    }
  });
}
