import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { freePort } from '../../helpers/ports.js';
import { rawRequest } from '../../helpers/raw-http.js';
import { ScriptedBackend } from '../../helpers/scripted-backend.js';

const HEX = /^[0-9a-f]{32}$/;

/**
 * One rule for the request id: `$request_id`, the X-Request-Id the backend gets, the gateway's own answer and its log
 * line name one value — a well-formed id from the field `set $gateway_request_id_header` names when the server says so,
 * else a fresh 32-hex id as nginx makes, whatever X-Request-Id the client sends.
 */
describe('$request_id: fresh unless a trusted header is configured', () => {
  let backend: ScriptedBackend;
  let gateway: GatewayUnderTest;
  let port: number;

  before(async () => {
    backend = new ScriptedBackend();
    const origin = await backend.listen();
    port = await freePort();
    const locations = `location = /vars { return 200 "$request_id"; }
      location /app/ { proxy_pass http://app; }
      location /down/ { proxy_pass http://127.0.0.1:1; }`;
    gateway = await startGateway({
      port, backends: [origin],
      // The first server (the default) trusts nothing; trusted.test takes the load balancer's X-Request-Id.
      httpExtra: `server { listen 127.0.0.1:${port}; server_name _; ${locations} }`,
      serverExtra: 'server_name trusted.test; set $gateway_request_id_header X-Request-Id;',
      locations,
    });
  });

  after(async () => {
    await gateway?.process.stop();
    await backend?.close();
  });

  const get = (host: string, path: string, ids: string[]) =>
    rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${ids.map((id) => `X-Request-Id: ${id}\r\n`).join('')}Connection: close\r\n\r\n`);
  const header = (res: { headers: Array<[string, string]> }, name: string) => res.headers.find(([n]) => n.toLowerCase() === name)?.[1];

  it('a trusted, well-formed id is $request_id and the backend\'s X-Request-Id', async () => {
    assert.equal((await get('trusted.test', '/vars', ['lb-0f8c2a5e'])).body.toString(), 'lb-0f8c2a5e');
    const before = backend.received.length;
    await get('trusted.test', '/app/x', ['Root=1-67891233-abcdef01']);
    assert.equal(backend.received[before]!['x-request-id'], 'Root=1-67891233-abcdef01');
  });

  it('the gateway\'s own answer and its log line carry the trusted id', async () => {
    const res = await get('trusted.test', '/down/', ['ticket-4711']);
    assert.equal(res.status, 502);
    assert.equal(header(res, 'x-request-id'), 'ticket-4711');
    assert.match(res.body.toString(), /request id: ticket-4711\n$/);
    await gateway.process.waitForRecord((r) => r.event === 'proxy.backend_failed' && r.requestId === 'ticket-4711', 'the log line of the ticket');
  });

  it('an ill-formed or repeated id is replaced by a fresh one', async () => {
    for (const ids of [['has space'], ['quote"d'], ['x'.repeat(129)], ['one', 'two']]) {
      const body = (await get('trusted.test', '/vars', ids)).body.toString();
      assert.match(body, HEX, JSON.stringify(ids));
    }
  });

  it('without the setting a client\'s X-Request-Id is never the id: fresh everywhere, the backend\'s replaced', async () => {
    const vars = (await get('other.test', '/vars', ['client-chosen'])).body.toString();
    assert.match(vars, HEX);
    const before = backend.received.length;
    await get('other.test', '/app/x', ['client-chosen']);
    assert.match(String(backend.received[before]!['x-request-id']), HEX);
    const res = await get('other.test', '/down/', ['client-chosen']);
    assert.match(String(header(res, 'x-request-id')), HEX);
    assert.ok(!res.body.toString().includes('client-chosen'));
  });
});
