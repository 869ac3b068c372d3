import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TOP_ANSWER_LEVEL } from '../../../gateway/config/return-directive.js';
import { OPEN_ACCESS } from '../../../gateway/access/access-settings.js';
import { defaults, type LocationSettings, type ServerSettings } from '../../../gateway/config/settings.js';
import { LocationRouter } from '../../../gateway/proxy/router.js';

function location(match: LocationSettings['match'], path: string): LocationSettings {
  return {
    match,
    path,
    noregex: false,
    regex: null,
    nested: [],
    nestedIn: null,
    autoRedirect: false,
    return: null,
    sets: [],
    redirect: TOP_ANSWER_LEVEL.redirect,
    proxy: null,
    clientMaxBodyBytes: defaults.clientMaxBodyBytes,
    clientBodyTimeoutMs: defaults.clientBodyTimeoutMs,
    session: { ...defaults.session },
    access: OPEN_ACCESS,
    addHeaders: [],
    source: `test.conf:${match}:${path}`,
  };
}

function server(locations: LocationSettings[], serverNames: string[] = ['']): ServerSettings {
  return { listen: [{ ...defaults.listen }], serverNames, names: [], serverName: '', locations, return: null, sets: [], redirect: TOP_ANSWER_LEVEL.redirect, clientHeaderTimeoutMs: defaults.clientHeaderTimeoutMs, access: OPEN_ACCESS, addHeaders: [], source: 'test.conf:1' };
}

function routeOf(router: LocationRouter, url: string): string | null {
  const loc = router.match(url);
  return loc === null ? null : `${loc.match} ${loc.path}`;
}

describe('LocationRouter.match', () => {
  it('an exact location beats a prefix location of the same path', () => {
    const router = new LocationRouter(server([location('prefix', '/login'), location('exact', '/login')]));
    assert.equal(routeOf(router, '/login'), 'exact /login');
  });

  it('an exact location beats a longer-matching prefix', () => {
    const router = new LocationRouter(server([location('prefix', '/'), location('exact', '/'), location('prefix', '/api')]));
    assert.equal(routeOf(router, '/'), 'exact /');
  });

  it('an exact location matches only its exact path', () => {
    const router = new LocationRouter(server([location('exact', '/login'), location('prefix', '/')]));
    assert.equal(routeOf(router, '/login/'), 'prefix /');
    assert.equal(routeOf(router, '/loginx'), 'prefix /');
  });

  it('the longest matching prefix wins, whatever the order of the locations', () => {
    const router = new LocationRouter(server([location('prefix', '/a'), location('prefix', '/a/b/c'), location('prefix', '/'), location('prefix', '/a/b')]));
    assert.equal(routeOf(router, '/a/b/c/d'), 'prefix /a/b/c');
    assert.equal(routeOf(router, '/a/b/x'), 'prefix /a/b');
    assert.equal(routeOf(router, '/a/x'), 'prefix /a');
    assert.equal(routeOf(router, '/z'), 'prefix /');
  });

  it('a prefix is a string prefix, not a path segment (as in nginx)', () => {
    const router = new LocationRouter(server([location('prefix', '/api'), location('prefix', '/')]));
    assert.equal(routeOf(router, '/apiary'), 'prefix /api');
  });

  it('compares a non-ASCII location with the bytes of the decoded URI', () => {
    const router = new LocationRouter(server([location('prefix', '/café/'), location('prefix', '/')]));
    assert.equal(routeOf(router, Buffer.from('/café/menu').toString('latin1')), 'prefix /café/');
  });

  it('returns null when no location matches', () => {
    const router = new LocationRouter(server([location('prefix', '/api'), location('exact', '/login')]));
    assert.equal(router.match('/static/app.js'), null);
    assert.equal(router.match('/'), null);
  });

  it('returns null for a server without locations', () => {
    assert.equal(new LocationRouter(server([])).match('/'), null);
  });
});
