import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { readEnvSettings } from '../../../gateway/config/env.js';
import { loadGatewayConfig } from '../../../gateway/config/load-config.js';
import { createLogger } from '../../../gateway/log.js';
import { createGateway, type Gateway } from '../../../gateway/main.js';
import { TEST_SECRET, writeConfig } from '../../helpers/gateway-process.js';
import { freePort } from '../../helpers/ports.js';
import { ScriptedBackend } from '../../helpers/scripted-backend.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * Issue 8 item 6 on the composition root, in-process: a graceful close finishes every request it accepted — one
 * whose body is still arriving included — and cuts only what outlives the grace (worker_shutdown_timeout).
 */

const BODY = 200 * 1024; // over the 64 KiB retry buffer: the body streams to the backend as it arrives

async function startGateway(backend: string): Promise<{ gateway: Gateway; port: number }> {
  const port = await freePort();
  // In-process: the default access log would go to the test runner's stdout.
  const { settings, problems } = loadGatewayConfig(writeConfig({ port, backends: [backend], httpExtra: 'access_log off;' }));
  assert.deepEqual(problems, []);
  const env = readEnvSettings({ SESSION_SECRET: TEST_SECRET, ADMIN_LISTEN: `127.0.0.1:${await freePort()}` }, []);
  const gateway = await createGateway(settings!, env, createLogger({ level: 'silent' }), { sweepIntervalMs: 60_000 });
  await gateway.listen();
  return { gateway, port };
}

/** A POST whose body the test sends in two parts; resolves with the response once it comes. */
function upload(port: number): { sendRest: () => void; response: Promise<{ status: number; connection: string | undefined; body: string }> } {
  const req = request({ host: '127.0.0.1', port, path: '/upload', method: 'POST', headers: { 'content-length': String(BODY) } });
  const response = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
    req.on('response', (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
    });
    req.on('error', reject);
  });
  req.write(Buffer.alloc(BODY / 2, 'a'));
  return { sendRest: () => req.end(Buffer.alloc(BODY / 2, 'b')), response };
}

describe('graceful close of the composition root', () => {
  const backend = new ScriptedBackend();
  let address: string;

  before(async () => {
    address = await backend.listen();
    backend.respond = (req, res) => res.end(`got ${req.headers['content-length']} bytes`);
  });
  after(() => backend.close());

  it('a form whose body is still arriving when the close begins gets its answer', async () => {
    const { gateway, port } = await startGateway(address);
    const form = upload(port);
    await waitFor(() => gateway.openRequests() === 1, { what: 'the upload to be accepted' });
    const closed = gateway.close(10_000);
    // New connections are refused at once; the half-sent form is still being served.
    await waitFor(() => new Promise<boolean>((resolve) => {
      const probe = request({ host: '127.0.0.1', port, path: '/' }, () => resolve(false));
      probe.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
      probe.end();
    }), { what: 'the listener to stop accepting' });
    form.sendRest();
    const res = await form.response;
    assert.equal(res.status, 200);
    assert.equal(res.body, `got ${BODY} bytes`);
    assert.equal(res.connection, 'close');
    assert.deepEqual((await closed).cut, 0);
  });

  it('what outlives the grace is cut, and the close still ends', async () => {
    const { gateway, port } = await startGateway(address);
    const form = upload(port); // never completed
    const outcome = form.response.then(() => 'answered', () => 'cut');
    await waitFor(() => gateway.openRequests() === 1, { what: 'the upload to be accepted' });
    const report = await gateway.close(200);
    assert.equal(report.cut, 1);
    assert.equal(await outcome, 'cut');
  });
});
