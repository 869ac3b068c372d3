import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoadtestUsageError } from '../../../gateway/loadtest/loadtest-errors.js';
import { parseLoginFlag, parseScenario } from '../../../gateway/loadtest/scenario.js';

test('a JSON scenario (JSON is YAML) with a login, headers and a JSON body', () => {
  const s = parseScenario(JSON.stringify({ login: { method: 'post', path: '/login', json: { user: '{user}' } }, requests: [{ path: '/cart', method: 'PUT', headers: { 'X-Trace': 1 }, json: { items: [] }, weight: 2, expect: [200, 204] }] }), 's.json');
  assert.deepEqual(s.requests[0], { name: 'PUT /cart', method: 'PUT', path: '/cart', headers: { 'x-trace': '1', 'content-type': 'application/json' }, body: '{"items":[]}', weight: 2, expect: [200, 204], cookieMayChange: false });
  assert.equal(s.login?.method, 'POST');
  assert.equal(s.login?.body, '{"user":"{user}"}');
  assert.equal(s.login?.cookieMayChange, true, 'a login replaces the session cookie by design');
});

test('every problem is reported at once, each at its line', () => {
  const text = 'requests:\n  - path: /a\n    weight: 1.5\n  - name: a\n    path: nope\n  - name: a\n    path: /c\n    body: 3\nextra: 1\n';
  assert.throws(() => parseScenario(text, 'f.yaml'), (err: unknown) => {
    assert.ok(err instanceof LoadtestUsageError);
    assert.deepEqual(err.problems, [
      'f.yaml:9: unknown key "extra" (known: requests, login)',
      'f.yaml:3: weight must be a whole number from 1 to 1000000',
      'f.yaml:5: path is required and must start with /',
      'f.yaml:8: body must be text (use json: for a JSON value)',
      'f.yaml:6: two requests are named "a": give each its own name',
    ]);
    return true;
  });
  assert.throws(() => parseScenario('requests: [', 'g.yaml'), /g\.yaml:1: /);
});

test('--login "METHOD /path [body]": a form body, or JSON when it starts with {', () => {
  assert.deepEqual(parseLoginFlag('POST /login user={user}&pw=x').headers, { 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(parseLoginFlag('post /api/login {"user":"{user}"}').headers['content-type'], 'application/json');
  assert.equal(parseLoginFlag('GET /sso').body, null);
  assert.throws(() => parseLoginFlag('/login'), LoadtestUsageError);
});
