import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { AdminBrowserGuard, hostNameOf, isLoopback } from '../../../gateway/admin/browser-guard.js';
import { AdminOperationError } from '../../../gateway/errors.js';

const HOST = '127.0.0.1:9901';

function refusal(guard: AdminBrowserGuard, method: string, headers: IncomingHttpHeaders): string | null {
  try {
    guard.check(method, { host: HOST, ...headers });
    return null;
  } catch (err) {
    assert.ok(err instanceof AdminOperationError);
    return `${err.status} ${err.code}`;
  }
}

describe('isLoopback', () => {
  it('parses the address instead of matching a "127." prefix', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '127.255.255.255', '::1', '[::1]', '::ffff:127.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:0:0:1', 'localhost', 'LOCALHOST']) {
      assert.equal(isLoopback(host), true, host);
    }
    for (const host of ['127.0.0.1.example.com', '127.evil.test', '0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '::2', '::ffff:10.0.0.1', 'localhost.example.com', '']) {
      assert.equal(isLoopback(host), false, host);
    }
  });
});

describe('hostNameOf', () => {
  it('reads name, name:port and [v6]:port', () => {
    assert.equal(hostNameOf('Example.COM.'), 'example.com');
    assert.equal(hostNameOf('127.0.0.1:9901'), '127.0.0.1');
    assert.equal(hostNameOf('[::1]:9901'), '::1');
    assert.equal(hostNameOf('[::1]'), '::1');
    for (const bad of ['', 'a:b:c', '[zz]:1', 'x:', 'a b', '[::1']) assert.equal(hostNameOf(bad), null, bad);
  });
});

describe('AdminBrowserGuard: Host allow-list (DNS rebinding)', () => {
  const guard = new AdminBrowserGuard({ listenHost: '127.0.0.1', allowedHosts: ['gw.internal', '.ops.example'] });

  it('answers IP literals, localhost, the machine name and the configured names', () => {
    for (const host of ['127.0.0.1:9901', '10.1.2.3:9901', '[::1]:9901', 'localhost:9901', 'app.localhost:9901', `${hostname()}:9901`, 'gw.internal', 'GW.INTERNAL:9901', 'ops.example', 'a.b.ops.example:1']) {
      assert.equal(guard.hostAllowed(host), true, host);
    }
  });

  it('refuses any other name (a rebound attacker domain) with 421', () => {
    for (const host of ['attacker.example', 'attacker.example:9901', '127.0.0.1.nip.io:9901', 'gw.internal.attacker.example', 'xops.example', '']) {
      assert.equal(guard.hostAllowed(host), false, host);
    }
    assert.equal(refusal(guard, 'GET', { host: 'attacker.example:9901' }), '421 SG_ADMIN_HOST_REFUSED');
  });

  it('"*" answers every Host; the ADMIN_LISTEN name is always answered', () => {
    assert.equal(new AdminBrowserGuard({ listenHost: '0.0.0.0', allowedHosts: ['*'] }).hostAllowed('anything.example'), true);
    assert.equal(new AdminBrowserGuard({ listenHost: 'admin.lan', allowedHosts: [] }).hostAllowed('admin.lan:9901'), true);
  });
});

describe('AdminBrowserGuard: cross-site state changes', () => {
  const guard = new AdminBrowserGuard({ listenHost: '127.0.0.1', allowedHosts: [] });
  const json = { 'content-type': 'application/json' };

  it('lets reads through whatever their origin', () => {
    assert.equal(refusal(guard, 'GET', { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }), null);
    assert.equal(refusal(guard, 'HEAD', { 'sec-fetch-site': 'cross-site' }), null);
  });

  it('lets the API clients through: the CLI (JSON, no Origin) and the dashboard (same-origin)', () => {
    assert.equal(refusal(guard, 'POST', json), null);
    assert.equal(refusal(guard, 'POST', { ...json, 'content-type': 'application/json; charset=utf-8' }), null);
    assert.equal(refusal(guard, 'POST', { ...json, origin: 'http://127.0.0.1:9901', 'sec-fetch-site': 'same-origin' }), null);
    assert.equal(refusal(guard, 'DELETE', {}), null, 'DELETE cannot be sent cross-site without a preflight');
    assert.equal(refusal(guard, 'DELETE', { origin: 'http://127.0.0.1:9901', 'sec-fetch-site': 'same-origin' }), null);
  });

  it('refuses another site by Sec-Fetch-Site, also same-site (another port of the same host)', () => {
    for (const site of ['cross-site', 'same-site']) {
      assert.equal(refusal(guard, 'POST', { ...json, 'sec-fetch-site': site }), '403 SG_ADMIN_CROSS_SITE', site);
      assert.equal(refusal(guard, 'DELETE', { 'sec-fetch-site': site }), '403 SG_ADMIN_CROSS_SITE', site);
    }
  });

  it('refuses another origin by Origin when Fetch Metadata is missing (older browsers)', () => {
    for (const origin of ['http://127.0.0.1:8080', 'http://localhost:9901', 'https://evil.example', 'null', 'not a url']) {
      assert.equal(refusal(guard, 'POST', { ...json, origin }), '403 SG_ADMIN_CROSS_SITE', origin);
    }
    assert.equal(refusal(guard, 'POST', { ...json, origin: 'http://127.0.0.1:9901' }), null);
  });

  it('refuses a POST whose body type an HTML form can send, with or without Origin', () => {
    for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json-seq', 'text/json']) {
      assert.equal(refusal(guard, 'POST', type === undefined ? {} : { 'content-type': type }), '403 SG_ADMIN_CROSS_SITE', String(type));
    }
  });

  it('takes a valid CSRF token in place of the JSON body type (the hook a dashboard login will use)', () => {
    const withToken = new AdminBrowserGuard({ listenHost: '127.0.0.1', allowedHosts: [], verifyCsrfToken: (h) => h['x-csrf-token'] === 'good' });
    assert.equal(refusal(withToken, 'POST', { 'x-csrf-token': 'good', 'content-type': 'application/x-www-form-urlencoded', origin: 'http://127.0.0.1:9901' }), null);
    assert.equal(refusal(withToken, 'POST', { 'x-csrf-token': 'bad', 'content-type': 'application/x-www-form-urlencoded' }), '403 SG_ADMIN_CROSS_SITE');
    assert.equal(refusal(withToken, 'POST', { 'x-csrf-token': 'good', 'sec-fetch-site': 'cross-site' }), '403 SG_ADMIN_CROSS_SITE', 'a token never lets another site in');
  });
});
