import { createServer } from 'node:net';
import type { GatewaySettings } from '../config/settings.js';
import { ListenError } from '../errors.js';

/**
 * Before any worker is forked, the master binds each `listen` address once and lets it go (docs/architecture.md
 * §12): an address in use ends start-up in milliseconds, with the same line a worker would give, instead of after
 * every worker has loaded. A worker that still cannot bind later fails start-up (or the reload) the same way.
 */
export async function probeListenAddresses(settings: GatewaySettings): Promise<void> {
  const seen = new Set<string>();
  for (const server of settings.servers) {
    for (const { host, port } of server.listen) {
      const key = `${host}:${port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      await probe(host, port);
    }
  }
}

function probe(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => reject(new ListenError('proxy', host, port, err)));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}
