#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

/**
 * A test backend that keeps its own login in memory, as many apps do before they move their sessions to the
 * gateway: `POST /login` (form `user=U`) sets its own `app_sid` cookie, and `/account` answers 200 for a known
 * cookie and 302 to /login for any other. Restarting it logs every user out, which is exactly what the load test
 * must report. `node memory-login-app.js --port P --name N`; SIGTERM stops it gracefully.
 */

const { values } = parseArgs({ options: { port: { type: 'string' }, name: { type: 'string' } } });
const name = values.name ?? `127.0.0.1:${values.port}`;
const logins = new Map<string, string>();
let stopping = false;

function cookieOf(header: string | undefined): string | null {
  for (const pair of (header ?? '').split(';')) {
    const [k, v] = pair.trim().split('=');
    if (k === 'app_sid' && v) return v;
  }
  return null;
}

const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (body += c));
  req.on('end', () => {
    res.setHeader('X-Backend', name);
    if (stopping) res.setHeader('Connection', 'close');
    const path = new URL(req.url ?? '/', 'http://app.invalid').pathname;
    if (path === '/healthz') return void res.writeHead(stopping ? 503 : 200).end(stopping ? 'stopping' : 'ok');
    if (path === '/login' && req.method === 'POST') {
      const user = new URLSearchParams(body).get('user') ?? '';
      const sid = randomBytes(12).toString('hex');
      logins.set(sid, user);
      return void res.writeHead(303, { Location: '/account', 'Set-Cookie': `app_sid=${sid}; Path=/; HttpOnly` }).end();
    }
    const user = logins.get(cookieOf(req.headers.cookie) ?? '');
    if (user === undefined) return void res.writeHead(302, { Location: '/login' }).end();
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`hello ${user}\n`);
  });
});

server.keepAliveTimeout = 5_000;
server.listen(Number(values.port), '127.0.0.1');
process.once('SIGTERM', () => {
  // Answer what is in flight, refuse health checks, then go: the rollout has drained us already.
  stopping = true;
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 3_000).unref();
});
