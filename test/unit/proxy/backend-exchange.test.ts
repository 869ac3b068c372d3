import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { Dispatcher } from 'undici';
import { BackendExchange } from '../../../gateway/proxy/backend-exchange.js';

/** A dispatcher that hands the exchange a connection at once and lets the test play the backend's parser. */
function fakeBackend(): { dispatcher: Dispatcher; handler: () => Dispatcher.DispatchHandler; aborted: () => Error | null } {
  let handler: Dispatcher.DispatchHandler | null = null;
  let aborted: Error | null = null;
  const dispatcher = {
    dispatch(_options: unknown, h: Dispatcher.DispatchHandler) {
      handler = h;
      h.onConnect!((reason) => {
        aborted = reason ?? new Error('aborted');
        h.onError!(aborted);
      });
      return true;
    },
  } as unknown as Dispatcher;
  return { dispatcher, handler: () => handler!, aborted: () => aborted };
}

function exchangeOn(dispatcher: Dispatcher, bodyTimeout = 60_000): BackendExchange {
  return new BackendExchange(dispatcher, { path: '/', method: 'GET', headers: {}, body: null, headersTimeout: 1000, connectTimeout: 5000, bodyTimeout });
}

const raw = (...fields: string[]) => fields.map((f) => Buffer.from(f, 'latin1'));

interface Answer {
  fields: string[];
  chunks: string[];
  /** The body's chunks arrive only after streamTo (the general path), else all before it. */
  late: boolean;
  method?: string;
}

/** The bytes a client gets for one answer relayed by an exchange (no Date field, so two runs compare). */
async function wireBytes(answer: Answer): Promise<string> {
  const server = createServer((_req, res: ServerResponse) => {
    res.sendDate = false;
    const backend = fakeBackend();
    const exchange = exchangeOn(backend.dispatcher);
    const h = backend.handler();
    h.onHeaders!(200, raw(...answer.fields), () => {}, 'OK');
    const body = () => {
      for (const c of answer.chunks) h.onData!(Buffer.from(c));
      h.onComplete!([]);
    };
    if (!answer.late) body();
    void exchange.head.then(() => {
      res.writeHead(200, 'OK', answer.fields);
      exchange.streamTo(res, () => {});
      if (answer.late) body();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    socket.write(`${answer.method ?? 'GET'} / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    await new Promise((resolve) => socket.on('close', resolve));
    return Buffer.concat(received).toString('latin1');
  } finally {
    server.close();
  }
}

describe('BackendExchange.streamTo', () => {
  const answers: Array<Omit<Answer, 'late'>> = [
    { fields: ['Content-Length', '5', 'Content-Type', 'text/plain'], chunks: ['hello'] },
    { fields: ['Content-Length', '0'], chunks: [] },
    { fields: ['Content-Length', '6'], chunks: ['abc', 'def'] },
    { fields: ['X-Chunked', '1'], chunks: ['chunked body'] },
    { fields: ['X-Chunked', '1'], chunks: [] },
    { fields: ['Content-Length', '5'], chunks: ['hello'], method: 'HEAD' },
  ];

  for (const answer of answers) {
    it(`sends the same bytes whether the body was whole before the head went out or not: ${JSON.stringify(answer)}`, async () => {
      const early = await wireBytes({ ...answer, late: false });
      const late = await wireBytes({ ...answer, late: true });
      assert.equal(early, late);
      assert.match(early, /^HTTP\/1\.1 200 OK\r\n/);
    });
  }
});

describe('BackendExchange read timer (proxy_read_timeout)', () => {
  it('aborts a body that stalls after its head', async () => {
    const backend = fakeBackend();
    const exchange = exchangeOn(backend.dispatcher, 30);
    backend.handler().onHeaders!(200, raw('Content-Length', '10'), () => {}, 'OK');
    await exchange.head;
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal(backend.aborted()?.name, 'BodyTimeoutError');
  });

  it('starts no timer for an answer whose body ends in the same parse as its head', async () => {
    const backend = fakeBackend();
    const exchange = exchangeOn(backend.dispatcher, 30);
    const h = backend.handler();
    h.onHeaders!(200, raw('Content-Length', '2'), () => {}, 'OK');
    h.onData!(Buffer.from('ok'));
    h.onComplete!([]);
    await exchange.head;
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal(backend.aborted(), null);
  });
});
