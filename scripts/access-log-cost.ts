/**
 * `node dist/scripts/access-log-cost.js [--requests N] [--rounds R] [--connections C]` — what the access log costs a
 * request, measured as CPU time rather than throughput (a throughput ratio on a shared, loaded machine is mostly
 * noise). One process holds a backend, the gateway (createGateway, embedded store) and the client; each round runs
 * the same load against a gateway with `access_log off;` and one with `access_log FILE json;`, interleaved, and the
 * process's CPU time per request is compared. Prints a Markdown table; nothing is asserted.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { readEnvSettings } from '../gateway/config/env.js';
import { loadGatewayConfig } from '../gateway/config/load-config.js';
import { createLogger } from '../gateway/log.js';
import { createGateway, type Gateway } from '../gateway/main.js';
import { freePort } from './lib/net.js';

interface Sample {
  variant: 'off' | 'on';
  requests: number;
  cpuUsPerRequest: number;
  rps: number;
}

async function backend(): Promise<{ server: Server; address: string }> {
  const server = createServer((_req, res) => res.end('ok\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function gatewayWith(accessLog: string, backendAddress: string, dir: string): Promise<{ gateway: Gateway; port: number }> {
  const port = await freePort();
  const file = join(dir, `gateway-${port}.conf`);
  writeFileSync(file, `http {\n  ${accessLog}\n  upstream app { server ${backendAddress}; keepalive 64; }\n  server { listen 127.0.0.1:${port}; set $session off; location / { proxy_pass http://app; } }\n}\n`);
  const { settings, problems } = loadGatewayConfig(file);
  if (!settings) throw new Error(problems.join('\n'));
  const env = readEnvSettings({ SESSION_SECRET: 'access-log-cost-secret-0123456789', ADMIN_LISTEN: '127.0.0.1:0' }, []);
  const gateway = await createGateway(settings, env, createLogger({ level: 'silent' }), { admin: false, sweepIntervalMs: 60_000 });
  await gateway.listen();
  return { gateway, port };
}

async function load(port: number, requests: number, connections: number): Promise<{ cpuUs: number; seconds: number }> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections, pipelining: 1 });
  let next = 0;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: connections }, async () => {
    while (next < requests) {
      next++;
      const res = await pool.request({ path: '/', method: 'GET' });
      await res.body.dump();
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  await pool.close();
  return { cpuUs: used.user + used.system, seconds };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { requests: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '5' }, connections: { type: 'string', default: '16' } } });
  const requests = Number(values.requests);
  const rounds = Number(values.rounds);
  const connections = Number(values.connections);
  const dir = mkdtempSync(join(tmpdir(), 'sg-access-log-cost-'));
  const logFile = join(dir, 'access.log');
  const up = await backend();
  const on = await gatewayWith(`access_log ${logFile} json;`, up.address, dir);
  const off = await gatewayWith('access_log off;', up.address, dir);
  const samples: Sample[] = [];
  try {
    await load(off.port, 2000, connections);
    await load(on.port, 2000, connections);
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first, so neither always follows an idle pause.
      const order = round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
      for (const variant of order) {
        const r = await load((variant === 'off' ? off : on).port, requests, connections);
        samples.push({ variant, requests, cpuUsPerRequest: r.cpuUs / requests, rps: requests / r.seconds });
      }
    }
  } finally {
    await off.gateway.close(0);
    await on.gateway.close(0);
    up.server.close();
  }
  const cpu = (v: 'off' | 'on') => median(samples.filter((s) => s.variant === v).map((s) => s.cpuUsPerRequest));
  const rps = (v: 'off' | 'on') => median(samples.filter((s) => s.variant === v).map((s) => s.rps));
  const lines = statSync(logFile).size;
  process.stdout.write(`| access log | CPU µs / request (client + gateway + backend, median of ${rounds}) | req/s (median) |\n| --- | --: | --: |\n`);
  process.stdout.write(`| off | ${cpu('off').toFixed(1)} | ${Math.round(rps('off'))} |\n| on (file, json) | ${cpu('on').toFixed(1)} | ${Math.round(rps('on'))} |\n\n`);
  process.stdout.write(`CPU per request with the log ÷ without: ${(cpu('on') / cpu('off')).toFixed(3)}; throughput on ÷ off: ${(rps('on') / rps('off')).toFixed(3)}; ${connections} connections, ${requests} requests per run; ${lines} bytes of log written\n`);
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
