import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { attributeField, attributesOf, encodedSize, type StoredSession } from '../../../gateway/session/store.js';
import {
  attributeBudget,
  HEADER_TOKEN_TTL_SECONDS,
  SessionHeaderError,
  signSessionHeader,
  verifySessionHeader,
} from '../../../gateway/session/header-jwt.js';

const KEY = Buffer.from('header-key-0123456789abcdef-0123456789');
const OTHER_KEY = Buffer.from('another-key-0123456789abcdef-012345');
// A whole second, so iat is exact and the expiry boundary is easy to reach.
const NOW_MS = 1_700_000_000_000;
const NOW_S = NOW_MS / 1000;

const LIFETIME = { ct: NOW_MS - 120_000, la: NOW_MS - 5_000, idle: 1800, end: NOW_MS - 120_000 + 86_400_000 };
const loggedIn = { sid: 'handle-abc', sub: 'alice', data: { cart: [1, 2], theme: 'dark', name: 'Zoë' }, ...LIFETIME };
const anonymous = { sid: 'handle-xyz', data: { visits: 3 }, ...LIFETIME };

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A compact JWS with an arbitrary header and payload, HMAC-SHA256-signed with `key`. */
function handSigned(header: unknown, payload: unknown, key: Buffer): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

function assertHeaderError(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => err instanceof SessionHeaderError && err.code === 'SG_SESSION_HEADER_INVALID');
}

describe('signSessionHeader', () => {
  it('verifies with the jose library (HS256)', async () => {
    const token = signSessionHeader(loggedIn, KEY, NOW_MS);
    const { payload, protectedHeader } = await jwtVerify(token, KEY, { algorithms: ['HS256'], currentDate: new Date(NOW_MS) });
    assert.equal(protectedHeader.alg, 'HS256');
    assert.equal(payload.sid, 'handle-abc');
    assert.equal(payload.sub, 'alice');
    assert.deepEqual(payload.data, loggedIn.data);
  });

  it('is a JWT with header {alg: HS256, typ: JWT}', () => {
    const token = signSessionHeader(loggedIn, KEY, NOW_MS);
    assert.deepEqual(decodeProtectedHeader(token), { alg: 'HS256', typ: 'JWT' });
  });

  it('carries exactly the claims v (2), sid, sub, iat, exp, data and the lifetime ct, la, idle, end', () => {
    const claims = verifySessionHeader(signSessionHeader(loggedIn, KEY, NOW_MS), KEY, NOW_MS);
    assert.deepEqual(claims, { v: 2, sid: 'handle-abc', sub: 'alice', iat: NOW_S, exp: NOW_S + 60, data: loggedIn.data, ...LIFETIME });
  });

  it('expires 60 seconds after iat, with iat in whole seconds', () => {
    const claims = verifySessionHeader(signSessionHeader(anonymous, KEY, NOW_MS + 999), KEY, NOW_MS + 999);
    assert.equal(HEADER_TOKEN_TTL_SECONDS, 60);
    assert.equal(claims.iat, NOW_S);
    assert.equal(claims.exp, NOW_S + 60);
  });

  it('has no `sub` claim for an anonymous session', async () => {
    const token = signSessionHeader(anonymous, KEY, NOW_MS);
    const { payload } = await jwtVerify(token, KEY, { currentDate: new Date(NOW_MS) });
    assert.ok(!('sub' in payload));
    assert.ok(!('sub' in verifySessionHeader(token, KEY, NOW_MS)));
  });

  it('carries `status` only when given', () => {
    const evicted = verifySessionHeader(signSessionHeader({ ...anonymous, status: 'evicted' }, KEY, NOW_MS), KEY, NOW_MS);
    assert.equal(evicted.status, 'evicted');
    assert.ok(!('status' in verifySessionHeader(signSessionHeader(anonymous, KEY, NOW_MS), KEY, NOW_MS)));
  });
});

describe('verifySessionHeader', () => {
  it('accepts the key as a string', () => {
    const token = signSessionHeader(anonymous, KEY, NOW_MS);
    assert.equal(verifySessionHeader(token, KEY.toString(), NOW_MS).sid, anonymous.sid);
  });

  it('accepts a token jose signed with HS256', async () => {
    const token = await new SignJWT({ v: 1, sid: 's1', data: {} })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(NOW_S)
      .setExpirationTime(NOW_S + 60)
      .sign(KEY);
    assert.equal(verifySessionHeader(token, KEY, NOW_MS).sid, 's1');
  });

  it('accepts a token up to the 5 s clock skew past exp', () => {
    const token = signSessionHeader(anonymous, KEY, NOW_MS);
    assert.equal(verifySessionHeader(token, KEY, NOW_MS + 65_000).sid, anonymous.sid);
  });

  it('refuses an expired token', () => {
    const token = signSessionHeader(anonymous, KEY, NOW_MS);
    assertHeaderError(() => verifySessionHeader(token, KEY, NOW_MS + 65_001));
    assertHeaderError(() => verifySessionHeader(token, KEY, NOW_MS + 61_000, 0));
  });

  it('refuses a token signed with another key', () => {
    const token = signSessionHeader(anonymous, OTHER_KEY, NOW_MS);
    assertHeaderError(() => verifySessionHeader(token, KEY, NOW_MS));
  });

  it('refuses a token whose payload was changed', () => {
    const [head, , sig] = signSessionHeader(anonymous, KEY, NOW_MS).split('.');
    const forged = `${head}.${b64url({ v: 1, sid: anonymous.sid, sub: 'admin', iat: NOW_S, exp: NOW_S + 60, data: {} })}.${sig}`;
    assertHeaderError(() => verifySessionHeader(forged, KEY, NOW_MS));
  });

  it('refuses a token whose signature was removed', () => {
    const [head, body] = signSessionHeader(anonymous, KEY, NOW_MS).split('.');
    assertHeaderError(() => verifySessionHeader(`${head}.${body}.`, KEY, NOW_MS));
  });

  it('refuses an alg other than HS256 even when the HMAC-SHA256 is right', () => {
    const payload = { v: 1, sid: 's', iat: NOW_S, exp: NOW_S + 60, data: {} };
    for (const alg of ['HS384', 'HS512', 'none', 'RS256']) {
      assertHeaderError(() => verifySessionHeader(handSigned({ alg, typ: 'JWT' }, payload, KEY), KEY, NOW_MS));
    }
    assertHeaderError(() => verifySessionHeader(handSigned({ typ: 'JWT' }, payload, KEY), KEY, NOW_MS));
  });

  it('refuses a token jose signed with HS512', async () => {
    const token = await new SignJWT({ v: 1, sid: 's1', data: {} })
      .setProtectedHeader({ alg: 'HS512' })
      .setIssuedAt(NOW_S)
      .setExpirationTime(NOW_S + 60)
      .sign(KEY);
    assertHeaderError(() => verifySessionHeader(token, KEY, NOW_MS));
  });

  it('refuses an unsigned (alg none) token', () => {
    const token = `${b64url({ alg: 'none' })}.${b64url({ v: 1, sid: 's', iat: NOW_S, exp: NOW_S + 60, data: {} })}.`;
    assertHeaderError(() => verifySessionHeader(token, KEY, NOW_MS));
  });

  it('refuses a token without exp', () => {
    const token = handSigned({ alg: 'HS256', typ: 'JWT' }, { v: 1, sid: 's', iat: NOW_S, data: {} }, KEY);
    assertHeaderError(() => verifySessionHeader(token, KEY, NOW_MS));
  });

  it('refuses garbage', () => {
    for (const garbage of ['', 'garbage', 'a.b', 'a.b.c', 'a.b.c.d', '...', 'x'.repeat(500)]) {
      assertHeaderError(() => verifySessionHeader(garbage, KEY, NOW_MS));
    }
  });

  it('refuses a correctly signed token whose parts are not JSON with a SessionHeaderError', () => {
    const input = `${Buffer.from('not json').toString('base64url')}.${Buffer.from('{').toString('base64url')}`;
    const token = `${input}.${createHmac('sha256', KEY).update(input).digest('base64url')}`;
    assertHeaderError(() => verifySessionHeader(token, KEY, NOW_MS));
  });

  it('refuses a correctly signed token whose payload is JSON null with a SessionHeaderError', () => {
    assertHeaderError(() => verifySessionHeader(handSigned({ alg: 'HS256' }, null, KEY), KEY, NOW_MS));
  });
});

describe('attributeBudget: the X-Session header never exceeds $session_max_bytes', () => {
  const TIMEOUTS = { idleTimeoutMs: 30 * 60_000, absoluteTimeoutMs: 24 * 3_600_000 };
  /** The widest times the claims can carry (13-digit ms, the year 2286): the budget is computed for them. */
  const WIDEST_MS = 9_999_999_999_999;
  const validName = (n: string): boolean => n.length > 0 && !/[\x00-\x1f\x7f-\x9f\u2028\u2029]/.test(n);

  /** Sign the header the gateway would send for these fields and principal, with the widest claim values. */
  function header(fields: Array<[string, string]>, principal: string | null): string {
    const session: StoredSession = { key: 'k', handle: 'h'.repeat(22), principal, createdAt: WIDEST_MS, lastAccessAt: WIDEST_MS, status: null, fields: new Map(fields), size: 0 };
    return signSessionHeader(
      { sid: session.handle, ...(principal !== null ? { sub: principal } : {}), data: attributesOf(session, ''), ct: WIDEST_MS, la: WIDEST_MS, idle: 1800, end: WIDEST_MS + TIMEOUTS.absoluteTimeoutMs },
      KEY,
      WIDEST_MS,
    );
  }

  it('a session whose attributes fill the budget gives a header of at most the cap with any principal, within 3 bytes with the longest (fixed seed)', () => {
    const longest = '"'.repeat(256);
    fc.assert(
      fc.property(
        fc.integer({ min: 2400, max: 20_000 }),
        fc.uniqueArray(fc.tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).filter(validName), fc.jsonValue({ maxDepth: 2 })), { selector: (t) => t[0], maxLength: 12 }),
        fc.option(fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }).filter((p) => validName(p) && Buffer.byteLength(p) <= 256), { nil: null }),
        (cap, attrs, principal) => {
          const fields: Array<[string, string]> = attrs.filter(([n]) => n !== 'pad').map(([n, v]) => [attributeField('', n), JSON.stringify(v)]);
          const budget = attributeBudget(cap, TIMEOUTS);
          // Pad with one string attribute so the attributes take exactly the budget.
          const padding = budget - encodedSize(fields) - encodedSize([[attributeField('', 'pad'), '""']]);
          fc.pre(padding >= 0);
          fields.push([attributeField('', 'pad'), JSON.stringify('x'.repeat(padding))]);
          assert.equal(encodedSize(fields), budget);
          const length = header(fields, principal).length;
          assert.ok(length <= cap, `header ${length} for a cap of ${cap}`);
          const widest = header(fields, longest).length;
          assert.ok(widest <= cap && widest >= cap - 3, `header ${widest} with the longest principal for a cap of ${cap}`);
        },
      ),
      { seed: 0x5e55_1011, numRuns: 300 },
    );
  });

  it('the default 6k leaves 3,873 bytes, as the README says', () => {
    assert.equal(attributeBudget(6 * 1024, TIMEOUTS), 3873);
  });
});
