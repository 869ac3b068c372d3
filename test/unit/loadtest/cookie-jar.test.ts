import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CookieJar } from '../../../gateway/loadtest/cookie-jar.js';

test('a jar sends every cookie it was given and says what a response did to the session cookie', () => {
  const jar = new CookieJar('gsid', 'gsid=abc');
  assert.equal(jar.header(), 'gsid=abc');
  assert.equal(jar.apply(['theme=dark; Path=/']), 'none');
  assert.equal(jar.header(), 'gsid=abc; theme=dark');
  assert.equal(jar.apply('gsid=abc; Path=/; HttpOnly'), 'none', 'the same value again is no change');
  assert.equal(jar.apply('gsid=xyz; Path=/'), 'replaced');
  assert.equal(jar.sessionCookie, 'xyz');
  assert.equal(jar.apply('gsid=; Max-Age=0; Path=/'), 'cleared');
  assert.equal(jar.header(), 'theme=dark');
  assert.equal(jar.apply('gsid=new'), 'set');
});

test('an Expires in the past deletes the cookie; one in the future keeps it', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const jar = new CookieJar('sid', 'sid=1');
  assert.equal(jar.apply('sid=2; Expires=Wed, 01 Jan 2031 00:00:00 GMT', now), 'replaced');
  assert.equal(jar.apply('sid=2; Expires=Thu, 01 Jan 1970 00:00:00 GMT', now), 'cleared');
  assert.equal(jar.header(), null);
});
