import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionSettings } from '../../../gateway/config/settings.js';
import { MemorySessionStore } from '../../../gateway/session/memory-store.js';
import { NO_SESSION, SessionService, type RequestSession } from '../../../gateway/session/session-service.js';
import { attributeField, type StoredSession } from '../../../gateway/session/store.js';
import { verifySessionHeader } from '../../../gateway/session/header-jwt.js';
import { HeaderTokenCache } from '../../../gateway/session/header-token-cache.js';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef');
const SETTINGS = { scope: '', idleTimeoutMs: 1_800_000, absoluteTimeoutMs: 28_800_000 } as SessionSettings;

function stored(fields: Record<string, string>, principal: string | null = 'alice', lastAccessAt = 1_000): StoredSession {
  return {
    key: 'k', handle: 'AAAAAAAAAAAAAAAAAAAAAA', principal, createdAt: 500, lastAccessAt, status: null,
    fields: new Map(Object.entries(fields).map(([name, json]) => [attributeField('', name), json])), size: 0,
  };
}

function requestOf(session: StoredSession): RequestSession {
  return { ...NO_SESSION, cookieValid: true, key: session.key, session };
}

/** A service whose clock the test sets, and a second one that never saw a request (every token freshly signed). */
function services(): { now: { ms: number }; cached: SessionService; fresh: () => SessionService } {
  const now = { ms: 1_700_000_000_250 };
  const make = () => new SessionService({ store: new MemorySessionStore(), secrets: ['s'.repeat(32)], headerKey: KEY, clock: () => now.ms });
  return { now, cached: make(), fresh: make };
}

describe('X-Session tokens reused while nothing they carry changed', () => {
  it('within one second the same session gets the very token signing would give', () => {
    const { now, cached, fresh } = services();
    const first = cached.hydrate(requestOf(stored({ cart: '[1,2]' })), SETTINGS);
    now.ms += 500;
    const again = cached.hydrate(requestOf(stored({ cart: '[1,2]' })), SETTINGS);
    assert.equal(again, first);
    assert.equal(again, fresh().hydrate(requestOf(stored({ cart: '[1,2]' })), SETTINGS));
  });

  it('a changed attribute, principal, last access or second gives a new, correct token', () => {
    const { now, cached, fresh } = services();
    const base = cached.hydrate(requestOf(stored({ cart: '[1,2]' })), SETTINGS)!;
    const variants: Array<[string, StoredSession]> = [
      ['attribute value', stored({ cart: '[1,2,3]' })],
      ['attribute added', stored({ cart: '[1,2]', n: '1' })],
      ['attribute removed', stored({})],
      ['attribute renamed', stored({ basket: '[1,2]' })],
      ['attributes reordered', stored({ n: '1', cart: '[1,2]' })],
      ['principal', stored({ cart: '[1,2]' }, 'bob')],
      ['logged out', stored({ cart: '[1,2]' }, null)],
      ['last access', stored({ cart: '[1,2]' }, 'alice', 2_000)],
    ];
    for (const [what, session] of variants) {
      const token = cached.hydrate(requestOf(session), SETTINGS)!;
      assert.notEqual(token, base, what);
      assert.equal(token, fresh().hydrate(requestOf(session), SETTINGS), what);
    }
    now.ms += 1_000;
    const nextSecond = cached.hydrate(requestOf(stored({ cart: '[1,2]' })), SETTINGS)!;
    assert.notEqual(nextSecond, base);
    const claims = verifySessionHeader(nextSecond, KEY, now.ms);
    assert.equal(claims.iat, Math.floor(now.ms / 1000));
  });

  it('a session too large to cache is signed afresh each time, to the same token', () => {
    const { cached, fresh } = services();
    const big = (): StoredSession => ({ ...stored({ pad: JSON.stringify('x'.repeat(3000)) }), size: 3010 });
    const token = cached.hydrate(requestOf(big()), SETTINGS);
    assert.equal(token, cached.hydrate(requestOf(big()), SETTINGS));
    assert.equal(token, fresh().hydrate(requestOf(big()), SETTINGS));
  });

  it('each scope has its own token, and a change in another scope keeps it', () => {
    const { cached, fresh } = services();
    const inScopes = (b: string): StoredSession => ({
      ...stored({}),
      fields: new Map([[attributeField('shop', 'cart'), '[1]'], [attributeField('blog', 'draft'), b]]),
    });
    const shop = { ...SETTINGS, scope: 'shop' } as SessionSettings;
    const blog = { ...SETTINGS, scope: 'blog' } as SessionSettings;
    const shopToken = cached.hydrate(requestOf(inScopes('"a"')), shop)!;
    const blogToken = cached.hydrate(requestOf(inScopes('"a"')), blog)!;
    assert.notEqual(shopToken, blogToken);
    assert.equal(cached.hydrate(requestOf(inScopes('"b"')), shop), shopToken);
    const changed = cached.hydrate(requestOf(inScopes('"b"')), blog)!;
    assert.notEqual(changed, blogToken);
    assert.equal(changed, fresh().hydrate(requestOf(inScopes('"b"')), blog));
  });

  it('signs once while the inputs stay equal, again on any change of them', () => {
    const cache = new HeaderTokenCache();
    let signed = 0;
    const sign = (): string => `token-${++signed}`;
    const inputs = { second: 7, idle: 1_800, end: 9_000 };
    assert.equal(cache.tokenFor(stored({ cart: '[1]' }), '', inputs, sign), 'token-1');
    assert.equal(cache.tokenFor(stored({ cart: '[1]' }), '', { ...inputs }, sign), 'token-1');
    assert.equal(signed, 1);
    assert.equal(cache.tokenFor(stored({ cart: '[1]' }), '', { ...inputs, second: 8 }, sign), 'token-2');
    assert.equal(cache.tokenFor(stored({ cart: '[1]' }), '', { ...inputs, second: 8, end: 9_001 }, sign), 'token-3');
    assert.equal(cache.tokenFor(stored({ cart: '[2]' }), '', { ...inputs, second: 8, end: 9_001 }, sign), 'token-4');
    assert.equal(cache.tokenFor(stored({ cart: '[2]' }), '', { ...inputs, second: 8, end: 9_001 }, sign), 'token-4');
  });
});
