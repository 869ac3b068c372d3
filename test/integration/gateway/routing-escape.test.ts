import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { rawRequest } from '../../helpers/raw-http.js';
import { ScriptedBackend } from '../../helpers/scripted-backend.js';

/**
 * Issue "front door" item 2: a location cannot be escaped. The path is normalised as nginx does before a location is
 * chosen and before a `proxy_pass` URI part replaces the prefix, and a request nginx refuses gets 400 here too.
 */
describe('routing that cannot be escaped', () => {
  let files: ScriptedBackend;
  let admin: ScriptedBackend;
  let gateway: GatewayUnderTest;

  before(async () => {
    files = new ScriptedBackend();
    admin = new ScriptedBackend();
    const [filesName, adminName] = await Promise.all([files.listen(), admin.listen()]);
    gateway = await startGateway({
      backends: [filesName],
      httpExtra: `upstream admin { server ${adminName}; }`,
      // Checked once at start, before the first test (ScriptedBackend leaves health checks out of its targets anyway).
      serverExtra: 'set $health_check_interval 1h;',
      locations: `
        location /public/ { set $session off; proxy_pass http://app/files/; }
        location /raw/ { set $session off; proxy_pass http://app; }
        location /admin/ { set $session off; proxy_pass http://admin; }`,
    });
  });

  after(async () => {
    await gateway?.process.stop();
    await Promise.all([files?.close(), admin?.close()]);
  });

  beforeEach(() => {
    files.targets.length = 0;
    admin.targets.length = 0;
  });

  const get = (target: string, host = 'gw.test') => rawRequest(gateway.port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);

  for (const target of ['/public/../secret', '/public/%2e%2e/secret', '/public/%2E%2E/secret', '/public/..%2fsecret', '/public/.%2e/secret', '/public//..//secret']) {
    it(`${target} is /secret: no location, and no backend sees it`, async () => {
      const res = await get(target);
      assert.equal(res.status, 404);
      assert.deepEqual(files.targets, []);
    });
  }

  it('a dot segment that stays inside the location is resolved before the prefix is replaced', async () => {
    const res = await get('/public/a/./b/../c//d?x=%2F..');
    assert.equal(res.status, 200);
    assert.deepEqual(files.targets, ['/files/a/c/d?x=%2F..']);
  });

  it('escapes the decoded path again when the client used escapes', async () => {
    assert.equal((await get('/public/a%20b%3F')).status, 200);
    assert.deepEqual(files.targets, ['/files/a%20b%3F']);
  });

  it('a path that leaves one location for another goes to the other (the backend of /public/ never sees it)', async () => {
    const res = await get('/public/..%2Fadmin/users');
    assert.equal(res.status, 200);
    assert.deepEqual(files.targets, []);
    // Without a URI part nginx passes the request-target as the client sent it, and so does the gateway.
    assert.deepEqual(admin.targets, ['/public/..%2Fadmin/users']);
  });

  it('without a URI part the client request-target is passed unchanged', async () => {
    assert.equal((await get('/raw/x/../y?q')).status, 200);
    assert.deepEqual(files.targets, ['/raw/x/../y?q']);
  });

  for (const target of ['/..', '/public/../../etc/passwd', '/public/%2e%2e/%2e%2e/x', '/public/..%2f..%2fx', '/public/%00', '/public/%zz']) {
    it(`${target} gets 400 and closes the connection`, async () => {
      const res = await get(target);
      assert.equal(res.status, 400);
      assert.match(res.body.toString(), /SG_BAD_REQUEST/);
      assert.deepEqual(files.targets, []);
    });
  }

  it('two Host headers get 400', async () => {
    const res = await rawRequest(gateway.port, 'GET /public/x HTTP/1.1\r\nHost: gw.test\r\nHost: evil.test\r\nConnection: close\r\n\r\n');
    assert.equal(res.status, 400);
    assert.deepEqual(files.targets, []);
  });

  for (const host of ['a..b', 'a/b', 'a\\b', '', 'a b']) {
    it(`Host ${JSON.stringify(host)} gets 400`, async () => {
      const res = await get('/public/x', host);
      assert.equal(res.status, 400);
      assert.deepEqual(files.targets, []);
    });
  }

  it('a valid Host with a port and a trailing dot is served', async () => {
    assert.equal((await get('/public/x', 'GW.Test.:8080')).status, 200);
  });

  it('logs each refusal and stays up', async () => {
    await gateway.process.waitForRecord((r) => r.event === 'proxy.client_refused' && r.code === 'SG_BAD_REQUEST', 'a refusal log line');
    assert.equal((await get('/public/ok')).status, 200);
  });
});
