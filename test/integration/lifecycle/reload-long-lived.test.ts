import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { Browser } from '../../helpers/browser.js';
import { connectDemoSocket } from '../../helpers/demo-socket.js';
import { runCli, startMaster, type MasterUnderTest } from '../../helpers/master-process.js';
import { ScriptedBackend } from '../../helpers/scripted-backend.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * Issue 10 item 2: the old workers of a reload finish gracefully — a WebSocket gets close code 1012 (service
 * restart) and an SSE stream ends, so their clients reconnect, to the new workers, with the same session.
 */
interface Hello {
  principal: string | null;
}

const connect = (url: string, cookie: string) => connectDemoSocket<Hello>(url, cookie);

describe('long-lived connections through a reload', () => {
  let demo: DemoBackend;
  const events = new ScriptedBackend();
  let master: MasterUnderTest;

  before(async () => {
    demo = await startDemoBackend();
    const eventsAddress = await events.listen();
    events.respond = (req, res) => {
      if (req.url === '/healthz') return void res.end('ok');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: hello\n\n');
      const timer = setInterval(() => res.write('data: tick\n\n'), 200);
      res.on('close', () => clearInterval(timer));
    };
    master = await startMaster({ backends: [demo.name], workers: 1, server: `location /events { set $session off; proxy_pass http://${eventsAddress}; }` });
  });

  after(async () => {
    await master?.process.stop('SIGKILL');
    await demo?.process.stop();
    await events.close();
  });

  it('a WebSocket gets 1012 and an SSE stream ends; both come back on the new workers with the session', { timeout: 60_000 }, async () => {
    const browser = new Browser(master.url);
    assert.equal((await browser.fetch('/api/login', { json: { user: 'reload-user' } })).status, 200);
    const cookie = browser.cookieHeader()!;
    const wsUrl = `ws://127.0.0.1:${master.port}/ws`;
    const { ws, hello } = await connect(wsUrl, cookie);
    assert.equal(hello.principal, 'reload-user');
    const wsClosed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

    const sse = await request(`${master.url}/events`);
    assert.equal(sse.statusCode, 200);
    let received = '';
    const sseEnded = new Promise<void>((resolve) => {
      sse.body.on('data', (c: Buffer) => (received += c.toString()));
      sse.body.on('end', resolve);
      sse.body.on('error', () => resolve());
    });
    await waitFor(() => received.includes('hello'), { what: 'the first event' });

    const reload = await runCli(master, ['reload', '-c', master.configFile]);
    assert.equal(reload.code, 0, reload.stderr);
    assert.equal(await wsClosed, 1012);
    await sseEnded;

    const again = await connect(wsUrl, cookie);
    assert.equal(again.hello.principal, 'reload-user', 'the session survived the reload');
    again.ws.close();
  });
});
