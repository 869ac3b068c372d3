import assert from 'node:assert/strict';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { HostileBackend, okResponse, type RawRequest, type Step } from '../../helpers/hostile-backend.js';
import { TestRedis } from '../../helpers/redis-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { HOSTILE_CASES, WB, type HostileCase } from './hostile-responses.js';

interface Outcome {
  status: number | 'cut';
  headers: IncomingHttpHeaders;
  trailers: NodeJS.Dict<string>;
  body: string;
}

/** One request on a fresh connection; `cut` when the connection ended before a whole answer arrived. */
function send(port: number, path: string, options: { method?: string; cookie?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.cookie) headers.cookie = options.cookie;
    const req = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => resolve({ status: res.statusCode!, headers: res.headers, trailers: res.trailers, body: Buffer.concat(chunks).toString('latin1') }));
      res.once('aborted', () => resolve({ status: 'cut', headers: res.headers, trailers: {}, body: '' }));
      res.once('error', () => resolve({ status: 'cut', headers: res.headers, trailers: {}, body: '' }));
    });
    req.once('error', () => resolve({ status: 'cut', headers: {}, trailers: {}, body: '' }));
    req.end(options.body);
  });
}

/** The counter `n` of the session the backend receives, read from the X-Session claims. */
function counterOf(req: RawRequest): number | null {
  const token = req.headers['x-session'];
  if (!token) return null;
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { data: { n?: number } };
  return claims.data.n ?? null;
}

/**
 * Every entry of the hostile-response table against the real gateway, on both stores: the gateway stays up, answers
 * every request with a status from the entry's expected set (or cuts a response whose head already went out), never
 * applies a write-back twice or from a response it refused, and serves the next normal request.
 */
for (const store of ['embedded', 'redis'] as const) {
  describe(`a hostile backend, on the ${store} store`, () => {
    let redis: TestRedis | null = null;
    let backend: HostileBackend;
    let gateway: GatewayUnderTest;
    let cookie = '';
    let scripted: Map<string, HostileCase>;

    before(async () => {
      if (store === 'redis') redis = await TestRedis.start();
      backend = new HostileBackend();
      scripted = new Map(HOSTILE_CASES.map((c, i) => [`/case/${i}`, c]));
      backend.answer = (req) => {
        if (req.path === '/login') return [okResponse('{}', 'X-Session-Update: {"set":{"n":0}}\r\n')];
        if (req.path === '/probe') return [okResponse(JSON.stringify({ n: counterOf(req) }))];
        const entry = scripted.get(req.path);
        if (entry) return entry.response;
        return [okResponse('{}')];
      };
      const name = await backend.listen();
      gateway = await startGateway({ backends: [name], redisUrl: redis?.url });
      const login = await send(gateway.port, '/login');
      assert.equal(login.status, 200);
      cookie = String(login.headers['set-cookie']).split(';')[0]!;
    });

    after(async () => {
      await gateway?.process.stop();
      await backend?.close();
      await redis?.close();
    });

    async function counter(after = ''): Promise<number> {
      const probe = await send(gateway.port, '/probe', { cookie });
      assert.equal(probe.status, 200, `the next normal request${after && ` after "${after}"`} is served (${probe.body})`);
      return (JSON.parse(probe.body) as { n: number }).n;
    }

    it('answers every entry of the table and serves the next request after each', async () => {
      const failures: string[] = [];
      for (const [path, entry] of scripted) {
        const before = await counter();
        const got = await send(gateway.port, path, { method: entry.method, cookie, body: entry.requestBody, headers: entry.requestHeaders });
        const problems: string[] = [];
        if (!entry.expect.includes(got.status)) problems.push(`status ${got.status}, expected one of ${entry.expect.join(', ')} (${got.body.slice(0, 200)})`);
        if (entry.code !== undefined && (got.status === 502 || got.status === 504) && got.headers['x-gateway-error'] !== entry.code) problems.push(`code ${String(got.headers['x-gateway-error'])}, expected ${entry.code}`);
        if (entry.body !== undefined && typeof got.status === 'number' && got.status < 500 && got.body !== entry.body) problems.push(`body ${JSON.stringify(got.body.slice(0, 80))} (${got.body.length} bytes)`);
        for (const [name, value] of Object.entries(entry.headers ?? {})) {
          if (got.status !== 'cut' && got.headers[name] !== value) problems.push(`header ${name}: ${String(got.headers[name])}, expected ${String(value)}`);
        }
        if (gateway.process.child.exitCode !== null) {
          failures.push(`${entry.name}: the gateway exited\n${gateway.process.lines.slice(-15).join('\n')}`);
          break;
        }
        const moved = (await counter(entry.name)) - before;
        const applies = entry.writeBack;
        if (applies === true && moved !== 1) problems.push(`the write-back moved the counter by ${moved}, not 1`);
        if ((applies === false || applies === undefined) && moved !== 0) problems.push(`the counter moved by ${moved}`);
        if (applies === 'maybe' && moved !== 0 && moved !== 1) problems.push(`the counter moved by ${moved}`);
        if (problems.length > 0) failures.push(`${entry.name}: ${problems.join('; ')}`);
      }
      assert.deepEqual(failures, []);
    });

    it('forwards a backend\'s trailers to a client that reads a chunked answer', async () => {
      const index = HOSTILE_CASES.findIndex((c) => c.name === 'trailers after a chunked body');
      const got = await send(gateway.port, `/case/${index}`, { cookie });
      assert.equal(got.status, 200);
      assert.equal(got.trailers['x-checksum'], 'abc');
    });

    it('logs a response it cannot forward as SG_BACKEND_BAD_RESPONSE, naming the backend', async () => {
      await gateway.process.waitForRecord((r) => r.code === 'SG_BACKEND_BAD_RESPONSE' && typeof r.backend === 'string' && String(r.backend).startsWith('127.0.0.1:'), 'a bad-response log line');
    });

    for (const announced of [true, false]) {
      it(`a backend that closes each keep-alive connection after its 100th response (${announced ? 'Connection: close' : 'unannounced'}), with write-backs`, async () => {
        const before = await counter();
        const previous = backend.answer;
        backend.answer = (req) => {
          if (req.path !== '/every-100th') return previous(req);
          const last = req.index === 99;
          const steps: Step[] = [`HTTP/1.1 200 OK\r\n${WB}${last && announced ? 'Connection: close\r\n' : ''}Content-Length: 2\r\n\r\nok`];
          if (last) steps.push({ close: 'fin' });
          return steps;
        };
        try {
          // Two clients at once on kept-alive connections, so the backend's connections reach their 100th request.
          const agent = new Agent({ keepAlive: true, maxSockets: 2 });
          const statuses: Array<number | 'cut'> = [];
          try {
            await Promise.all(Array.from({ length: 2 }, async () => {
              for (let i = 0; i < 150; i++) {
                statuses.push(await new Promise<number | 'cut'>((resolve) => {
                  const req = httpRequest({ host: '127.0.0.1', port: gateway.port, path: '/every-100th', method: 'POST', headers: { cookie }, agent }, (res) => {
                    res.resume();
                    res.once('end', () => resolve(res.statusCode!));
                    res.once('aborted', () => resolve('cut'));
                  });
                  req.once('error', () => resolve('cut'));
                  req.end();
                }));
              }
            }));
          } finally {
            agent.destroy();
          }
          const answered = statuses.filter((s) => s === 200).length;
          // A POST is never retried: a request sent on a connection the backend was closing without saying so can
          // fail (as with nginx); an announced close must cost nothing.
          if (announced) assert.equal(answered, statuses.length, `statuses: ${statuses.filter((s) => s !== 200).join(', ')}`);
          else assert.ok(statuses.every((s) => s === 200 || s === 502), `statuses: ${statuses.join(', ')}`);
          assert.equal((await counter()) - before, answered, 'every answered write-back applied exactly once');
          assert.ok(backend.connections > 2, 'the backend closed connections');
        } finally {
          backend.answer = previous;
        }
      });
    }

    it('finishes a large close-delimited body for a client that reads slowly', async () => {
      const size = 8 * 1024 * 1024;
      const previous = backend.answer;
      backend.answer = (req) => (req.path === '/slow-reader' ? [`HTTP/1.0 200 OK\r\n${WB}\r\n`, Buffer.alloc(size, 0x61), { close: 'fin' }] : previous(req));
      try {
        const before = await counter();
        const received = await new Promise<number>((resolve, reject) => {
          const socket = connect(gateway.port, '127.0.0.1', () => socket.write(`GET /slow-reader HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\nConnection: close\r\n\r\n`));
          let bytes = 0;
          socket.pause();
          // Read nothing until the gateway has had to stop reading the backend, then drain slowly.
          setTimeout(() => {
            socket.on('data', (chunk: Buffer) => {
              bytes += chunk.length;
              socket.pause();
              setImmediate(() => socket.resume());
            });
            socket.resume();
          }, 300);
          socket.once('end', () => resolve(bytes));
          socket.once('error', reject);
        });
        assert.ok(received > size, `received ${received} bytes`);
        assert.equal((await counter()) - before, 1);
      } finally {
        backend.answer = previous;
      }
    });

    it('is still the same process', async () => {
      await waitFor(() => gateway.process.child.exitCode === null, { what: 'gateway alive' });
      assert.equal(gateway.process.records().filter((r) => r.event === 'proxy.internal_error').length, 0, 'no request ended in SG_INTERNAL');
    });
  });
}
