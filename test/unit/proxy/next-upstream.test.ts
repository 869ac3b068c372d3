import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaults, type ProxySettings } from '../../../gateway/config/settings.js';
import { BackendBadResponseError, BackendError, BackendTimeoutError } from '../../../gateway/errors.js';
import { countsAsFailure, failureCondition, mayTryNext, statusCondition, type TryState } from '../../../gateway/proxy/next-upstream.js';

/** nginx's proxy_next_upstream decisions (ngx_http_upstream_next, _test_next) as a table. */
function proxy(overrides: Partial<ProxySettings>): ProxySettings {
  return {
    ...defaults.proxy, upstream: 'app', uriPrefix: null, setHeaders: [], redirects: [], hideHeaders: [], ...overrides,
  };
}
const get: TryState = { method: 'GET', requestSent: true, replayable: true, tries: 1, startedAt: 0 };

test('each failure is the condition nginx names it', () => {
  assert.equal(failureCondition(new BackendTimeoutError('t')), 'timeout');
  assert.equal(failureCondition(new BackendBadResponseError('b')), 'invalid_header');
  assert.equal(failureCondition(new BackendError('e')), 'error');
  assert.equal(statusCondition(503), 'http_503');
  assert.equal(statusCondition(429), 'http_429');
  assert.equal(statusCondition(501), null);
  assert.equal(countsAsFailure('http_404'), false);
  assert.equal(countsAsFailure('http_503'), true);
});

test('only listed conditions, POST/LOCK/PATCH only with non_idempotent once sent, tries and the timeout bound it', () => {
  const p = proxy({ nextUpstream: ['error', 'timeout', 'http_503'] });
  assert.equal(mayTryNext(p, 'timeout', get, 1), true);
  assert.equal(mayTryNext(p, 'http_500', get, 1), false);
  for (const method of ['POST', 'LOCK', 'PATCH']) assert.equal(mayTryNext(p, 'error', { ...get, method }, 1), false, method);
  assert.equal(mayTryNext(p, 'error', { ...get, method: 'POST', requestSent: false }, 1), true);
  assert.equal(mayTryNext(proxy({ nextUpstream: ['error', 'non_idempotent'] }), 'error', { ...get, method: 'POST' }, 1), true);
  assert.equal(mayTryNext(p, 'error', { ...get, method: 'MKCOL' }, 1), true);
  assert.equal(mayTryNext(p, 'error', { ...get, replayable: false }, 1), false);
  assert.equal(mayTryNext(proxy({ nextUpstream: ['error'], nextUpstreamTries: 2 }), 'error', { ...get, tries: 2 }, 1), false);
  assert.equal(mayTryNext(proxy({ nextUpstream: ['error'], nextUpstreamTimeoutMs: 100 }), 'error', get, 100), false);
  assert.equal(mayTryNext(proxy({ nextUpstream: ['error'], nextUpstreamTimeoutMs: 100 }), 'error', get, 99), true);
  assert.equal(mayTryNext(proxy({ nextUpstream: ['off'] }), 'error', get, 1), false);
});
