/**
 * `node dist/scripts/access-log-line-cost.js [--lines N] [--rounds R] [--per-turn K]` — the access log's own CPU time
 * per line, without the network: the real AccessLog of a real config (`access_log FILE json;`) is handed N settled
 * records (real Node request/response objects, one proxied try each), K per event-loop turn, and the process's CPU
 * time (rendering, batching, the file writes) is divided by N. Each round also runs the same turns without logging,
 * and that loop's cost is subtracted. On a loaded, shared machine this varies far less than a throughput ratio
 * (access-log-cost.ts measures the whole request path). The records have no request variables, so `$remote_addr`,
 * `$uri`, `$http_*` read nothing: their cost is the request path's (request-variables.ts). Nothing is asserted.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadGatewayConfig } from '../gateway/config/load-config.js';
import { createLogger } from '../gateway/log.js';
import { AccessLog } from '../gateway/observability/access-log.js';
import { GatewayMetrics } from '../gateway/observability/gateway-metrics.js';
import { RequestRecord } from '../gateway/observability/request-record.js';
import type { Backend } from '../gateway/pool/backend.js';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** CPU µs of `lines` calls of `each`, `perTurn` per turn of the event loop, the last write included. */
async function cpuOf(lines: number, perTurn: number, each: (i: number) => void, finish: () => void): Promise<number> {
  const cpu = process.cpuUsage();
  let i = 0;
  await new Promise<void>((resolve) => {
    const turn = (): void => {
      for (let k = 0; k < perTurn && i < lines; k++, i++) each(i);
      if (i < lines) setImmediate(turn);
      else resolve();
    };
    turn();
  });
  finish();
  const used = process.cpuUsage(cpu);
  return used.user + used.system;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { lines: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '5' }, 'per-turn': { type: 'string', default: '8' } } });
  const lines = Number(values.lines);
  const perTurn = Number(values['per-turn']);
  const dir = mkdtempSync(join(tmpdir(), 'sg-access-line-cost-'));
  const file = join(dir, 'gateway.conf');
  writeFileSync(file, `http {\n  upstream app { server 127.0.0.1:9; }\n  server { listen 127.0.0.1:1; access_log ${join(dir, 'access.log')} json; location / { proxy_pass http://app; } }\n}\n`);
  const { settings, problems } = loadGatewayConfig(file);
  if (!settings) throw new Error(problems.join('\n'));
  const server = settings.servers[0]!;
  // The record reads a backend's name only.
  const backend = { name: '127.0.0.1:9', upstream: 'app' } as Backend;
  const records = Array.from({ length: 2000 }, () => {
    const req = new IncomingMessage(new Socket());
    req.method = 'GET';
    req.url = '/api/x?a=1';
    const record = new RequestRecord(req, new ServerResponse(req), server);
    record.location = server.locations[0]!;
    record.requestId = 'f'.repeat(32);
    record.attemptStarted(backend);
    record.attemptAnswered(200);
    record.attemptEnded();
    record.endedAt = record.startedAt + 1.5;
    return record;
  });
  const bytes = { sent: 321, received: 120 };
  const counts = { read: 0, written: 0, serial: 1, requests: 1 };
  const per: number[] = [];
  const metrics = new GatewayMetrics();
  for (let round = 0; round < Number(values.rounds); round++) {
    const log = new AccessLog(settings, createLogger({ level: 'silent' }), metrics);
    const idle = await cpuOf(lines, perTurn, () => {}, () => {});
    const logged = await cpuOf(lines, perTurn, (i) => log.log(records[i % records.length]!, bytes, counts), () => log.close());
    per.push((logged - idle) / lines);
  }
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`access log (file, json): ${median(per).toFixed(2)} CPU µs per line (median of ${per.length}: ${per.map((x) => x.toFixed(2)).join(', ')}); ${lines} lines per round, ${perTurn} per turn\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
