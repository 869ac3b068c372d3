import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What a backend received: the request as a proxy forwarded it. */
export interface RecordedRequest {
  /** Which backend of the group (its index). */
  backend: number;
  method: string;
  target: string;
  httpVersion: string;
  /** [name, value] in the order received. */
  headers: Array<[string, string]>;
  body: string;
  /** Arrival order over every backend of the process (a retry's attempts in the order they were made). */
  order: number;
}

let arrivals = 0;

/** How a backend answers one request. */
export interface BackendAnswer {
  status?: number;
  reason?: string;
  /** [name, value] pairs, in order; repeated names allowed. */
  headers?: Array<[string, string]>;
  body?: string;
  /** Wait this long before answering. */
  delayMs?: number;
  /** `reset`: close the connection without answering; `hang`: never answer (the proxy's timeout must act). */
  fault?: 'reset' | 'hang';
}

export type BackendScript = (req: RecordedRequest) => BackendAnswer;

/** By default a backend answers 200 with a short text naming itself. */
export const answerOk: BackendScript = (req) => ({ status: 200, headers: [['Content-Type', 'text/plain']], body: `backend ${req.backend}\n` });

/**
 * A real HTTP backend that records every request it gets and answers as the running case says. Requests to the health
 * path are answered 200 and not recorded (the gateway's active checks; nginx makes none).
 */
export class RecordingBackend {
  readonly index: number;
  readonly server: Server;
  readonly seen: RecordedRequest[] = [];
  script: BackendScript = answerOk;
  readonly healthPath: string;
  readonly #hanging = new Set<ServerResponse>();

  constructor(index: number, healthPath = '/healthz') {
    this.index = index;
    this.healthPath = healthPath;
    this.server = createServer((req, res) => this.#onRequest(req, res));
    this.server.keepAliveTimeout = 60_000;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === this.healthPath) {
        res.end('ok');
        return;
      }
      const headers: Array<[string, string]> = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
      const recorded: RecordedRequest = {
        backend: this.index, method: req.method ?? '', target: req.url ?? '', httpVersion: req.httpVersion, headers,
        body: Buffer.concat(chunks).toString('latin1'), order: arrivals++,
      };
      this.seen.push(recorded);
      const answer = this.script(recorded);
      const send = () => this.#answer(res, answer);
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  }

  #answer(res: ServerResponse, answer: BackendAnswer): void {
    if (answer.fault === 'reset') {
      (res.socket as Socket | null)?.resetAndDestroy();
      return;
    }
    if (answer.fault === 'hang') {
      this.#hanging.add(res);
      return;
    }
    const flat: string[] = [];
    for (const [n, v] of answer.headers ?? []) flat.push(n, v);
    const status = answer.status ?? 200;
    res.writeHead(status, answer.reason ?? STATUS_CODES[status] ?? 'Unknown', flat);
    res.end(answer.body ?? '');
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
