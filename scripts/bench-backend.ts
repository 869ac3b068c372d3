/**
 * The backend every bench scenario proxies to: node:http, as little work per request as possible, so the proxies in
 * front of it are what the numbers measure. Run as its own process (`node bench-backend.js [--port N]`): it prints
 * `{"port":N}` on stdout once listening.
 *
 *   GET /               200, a small body — the read path
 *   GET /healthz        200 — the gateway's active health check
 *   GET /login?user=U   200 + X-Session-Login: U (default alice) — creates / logs in a session
 *   GET /fill?bytes=N   200 + X-Session-Update setting attribute `pad` to N bytes of text — grows the session
 *   GET /write          200 + X-Session-Update incrementing `hits` — the write path
 * Every answer carries `x-bench-session: 1` when the request arrived with an `X-Session` header, else `0`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

const BODY = Buffer.from('hello from the bench backend\n');
const WRITE_UPDATE = JSON.stringify({ incr: { hits: 1 } });

/** The text of a `pad` attribute of `bytes` bytes: printable ASCII, so no b64: encoding is needed. */
export function padAttribute(bytes: number): string {
  return 'x'.repeat(Math.max(0, Math.floor(bytes)));
}

function answer(req: IncomingMessage, res: ServerResponse, headers: Record<string, string> = {}): void {
  // `x-bench-session` tells the bench whether a hydrated session arrived, so it can check the main path really is one.
  const hadSession = req.headers['x-session'] === undefined ? '0' : '1';
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length, 'x-bench-session': hadSession, ...headers });
  res.end(BODY);
}

export function handleBenchRequest(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  const params = new URLSearchParams(query === -1 ? '' : url.slice(query + 1));
  switch (path) {
    case '/login':
      answer(req, res, { 'x-session-login': params.get('user') ?? 'alice' });
      return;
    case '/fill':
      answer(req, res, { 'x-session-update': JSON.stringify({ set: { pad: padAttribute(Number(params.get('bytes') ?? 0)) } }) });
      return;
    case '/write':
      answer(req, res, { 'x-session-update': WRITE_UPDATE });
      return;
    default:
      answer(req, res);
  }
}

/** Starts the backend on 127.0.0.1:port (0 = any free port). */
export function startBenchBackend(port = 0): Promise<{ server: Server; port: number }> {
  // An 8 KiB session arrives as a JWT of ~11 KiB in X-Session: above Node's 16 KiB default once cookies are added.
  const server = createServer({ maxHeaderSize: 64 * 1024, keepAliveTimeout: 65_000 }, handleBenchRequest);
  // Idle pooled sockets of the proxies must not be cut under them mid-run (see docs/architecture.md §6 on pool idle timeouts).
  server.headersTimeout = 66_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      if (typeof address !== 'object' || !address) return reject(new Error('no address'));
      resolve({ server, port: address.port });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const portArg = process.argv.indexOf('--port');
  const port = portArg === -1 ? 0 : Number(process.argv[portArg + 1]);
  const { port: bound } = await startBenchBackend(port);
  process.stdout.write(JSON.stringify({ port: bound }) + '\n');
  process.on('SIGTERM', () => process.exit(0));
}
