import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The User-Agent of the gateway's active health checks (gateway/pool/health-checker.ts). */
const HEALTH_CHECK_AGENT = 'session-gateway-health-check';

/**
 * A real HTTP backend in the test process whose answers the test scripts: for responses the demo app would never
 * send (malformed write-backs, oversized sessions, resets). It records the request headers it received, but not
 * the gateway's health checks: they come every 2 s by default, so one could land between a test's request and its
 * look at what arrived (the last request, or the one after a count taken before).
 */
export class ScriptedBackend {
  readonly server: Server;
  readonly received: IncomingMessage['headers'][] = [];
  /** The request-target of every request received, as it arrived. */
  readonly targets: string[] = [];
  respond: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('ok');

  constructor() {
    this.server = createServer((req, res) => {
      if (req.headers['user-agent'] !== HEALTH_CHECK_AGENT) {
        this.received.push(req.headers);
        this.targets.push(req.url ?? '');
      }
      req.resume();
      req.on('end', () => this.respond(req, res));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
