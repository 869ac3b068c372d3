import { connect, type Socket } from 'node:net';
import { runLoad } from './load-runner.js';
import { snapshot } from './proc-stats.js';
import type { IdleConnectionsResult, SessionsMemoryResult } from './report-types.js';
import type { BenchRedis } from './redis-launcher.js';
import type { Target } from './stack.js';

const REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: bench\r\nConnection: keep-alive\r\n\r\n');

/** One raw socket, one request; resolves once the response status line arrived, the socket kept open. */
function openIdle(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(10_000, () => socket.destroy(new Error('timed out')));
    let seen = '';
    socket.once('connect', () => socket.write(REQUEST));
    socket.on('error', reject);
    socket.on('data', function onData(chunk: Buffer) {
      seen += chunk.toString('latin1');
      if (seen.includes('\r\n\r\n')) {
        socket.off('data', onData);
        socket.setTimeout(0);
        socket.on('data', () => undefined);
        if (seen.startsWith('HTTP/1.1 200')) resolve(socket);
        else reject(new Error(seen.slice(0, 40)));
      }
    });
  });
}

/**
 * Gateway RSS with `count` idle keep-alive client connections: each sent one request and is then held open.
 * Opened 200 at a time; RSS sampled once all are open (and again after a short settle so lazily freed buffers count).
 */
export async function measureIdleConnections(target: Target, count: number, fdLimit: number, onProgress: (fraction: number) => void): Promise<IdleConnectionsResult> {
  const sockets: Socket[] = [];
  let closed = 0;
  let failed = 0;
  const before = snapshot(target.child.pid).rssBytes;
  const batch = 200;
  for (let i = 0; i < count; i += batch) {
    const results = await Promise.allSettled(Array.from({ length: Math.min(batch, count - i) }, () => openIdle(target.port)));
    for (const r of results) {
      if (r.status === 'fulfilled') {
        sockets.push(r.value);
        r.value.once('close', () => (closed += 1));
      } else {
        failed += 1;
      }
    }
    onProgress(Math.min(1, (i + batch) / count));
  }
  // Let the gateway finish whatever it does after a response (pool bookkeeping, GC of request objects) before sampling.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const after = snapshot(target.child.pid).rssBytes;
  const stillOpen = sockets.length - closed;
  for (const s of sockets) s.destroy();
  return {
    target: 'gateway-redis',
    requested: count,
    opened: sockets.length,
    stillOpen,
    failed,
    rssBeforeBytes: before,
    rssAfterBytes: after,
    bytesPerConnection: sockets.length === 0 ? 0 : (after - before) / sockets.length,
    fdLimit,
  };
}

/**
 * `count` sessions created through the embedded gateway (its RSS) and through the Redis gateway (Redis used_memory):
 * every GET /login without a cookie creates a new session, so the load engine with `amount` makes them quickly.
 */
export async function measureSessions(embedded: Target | undefined, redisGateway: Target | undefined, redis: BenchRedis | null, count: number, onProgress: (fraction: number) => void): Promise<SessionsMemoryResult> {
  const result: SessionsMemoryResult = {
    sessions: count,
    createdPerSecond: 0,
    errors: 0,
    embeddedRssBeforeBytes: null,
    embeddedRssAfterBytes: null,
    redisUsedMemoryBeforeBytes: null,
    redisUsedMemoryAfterBytes: null,
  };
  const rates: number[] = [];
  if (embedded) {
    result.embeddedRssBeforeBytes = snapshot(embedded.child.pid).rssBytes;
    const run = await runLoad({ port: embedded.port, path: '/login?user=mass', connections: 50, durationS: 600, rate: null, cookies: [], amount: count }, (f) => onProgress(f / 2));
    result.errors += run.non2xx + run.socketErrors;
    rates.push(run.rps);
    result.embeddedRssAfterBytes = snapshot(embedded.child.pid).rssBytes;
  }
  if (redisGateway && redis) {
    result.redisUsedMemoryBeforeBytes = await redis.usedMemory();
    const run = await runLoad({ port: redisGateway.port, path: '/login?user=mass', connections: 50, durationS: 600, rate: null, cookies: [], amount: count }, (f) => onProgress(0.5 + f / 2));
    result.errors += run.non2xx + run.socketErrors;
    rates.push(run.rps);
    result.redisUsedMemoryAfterBytes = await redis.usedMemory();
  }
  result.createdPerSecond = rates.length === 0 ? 0 : Math.min(...rates);
  return result;
}
