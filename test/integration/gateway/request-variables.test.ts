import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { ScriptedBackend } from '../../helpers/scripted-backend.js';

/**
 * The variables that differ from nginx's on every connection or request, so the differential suite cannot compare
 * them: `$remote_port` is the client's own port, `$request_id` a fresh 32-hex id per request (two requests on one
 * keep-alive connection get two), whatever X-Request-Id the client sends.
 */
describe('per-connection and per-request variables', () => {
  let backend: ScriptedBackend;
  let gateway: GatewayUnderTest;

  before(async () => {
    backend = new ScriptedBackend();
    gateway = await startGateway({
      backends: [await backend.listen()],
      locations: 'location = /vars { return 200 "$remote_port $request_id $request_id $remote_addr $server_addr"; }',
    });
  });

  after(async () => {
    await gateway?.process.stop();
    await backend?.close();
  });

  /** Two requests on one connection; resolves with the client's port and both bodies. */
  function twoOnOneConnection(): Promise<{ port: number; bodies: string[] }> {
    return new Promise((resolve, reject) => {
      const socket = connect(gateway.port, '127.0.0.1');
      let text = '';
      let port = 0;
      const req = (close: boolean) => `GET /vars HTTP/1.1\r\nHost: gw.test\r\nX-Request-Id: client-chosen\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;
      socket.on('connect', () => {
        port = socket.localPort ?? 0;
        socket.write(req(false) + req(true));
      });
      socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () => {
        const bodies = [...text.matchAll(/Content-Length: (\d+)\r\n[\s\S]*?\r\n\r\n/gi)].map((m) => text.slice(m.index + m[0].length, m.index + m[0].length + Number(m[1])));
        resolve({ port, bodies });
      });
    });
  }

  it('$remote_port is the client port; $request_id is fresh per request and the same within one', async () => {
    const { port, bodies } = await twoOnOneConnection();
    assert.equal(bodies.length, 2, JSON.stringify(bodies));
    const [first, second] = bodies.map((b) => b.split(' '));
    assert.equal(first![0], String(port));
    assert.equal(second![0], String(port));
    assert.match(first![1]!, /^[0-9a-f]{32}$/);
    assert.equal(first![1], first![2], 'one request, one id');
    assert.match(second![1]!, /^[0-9a-f]{32}$/);
    assert.notEqual(first![1], second![1], 'a second request gets another id');
    assert.deepEqual(first!.slice(3), ['127.0.0.1', '127.0.0.1']);
  });
});
