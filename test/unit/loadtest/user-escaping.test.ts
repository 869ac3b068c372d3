import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bodyEscape } from '../../../gateway/loadtest/virtual-user.js';

const AWKWARD = 'o"brien\\ & co/?#=%+\t\u2028é';

test('{user} in a JSON body is escaped to stay one string, whatever the JSON media type or its parameters', () => {
  for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/merge-patch+json']) {
    const body = `{"who":"${bodyEscape(type)(AWKWARD)}","n":1}`;
    assert.deepEqual(JSON.parse(body), { who: AWKWARD, n: 1 }, type);
  }
});

test('{user} in a form body is URL-encoded; in any other body it goes as is', () => {
  const form = `who=${bodyEscape('application/x-www-form-urlencoded')(AWKWARD)}&more=1`;
  assert.deepEqual(Object.fromEntries(new URLSearchParams(form)), { who: AWKWARD, more: '1' });
  assert.equal(bodyEscape('text/plain')(AWKWARD), AWKWARD);
  assert.equal(bodyEscape(undefined)(AWKWARD), AWKWARD);
});
