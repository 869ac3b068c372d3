import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestProcess } from './child-process.js';
import { releaseClientConnections } from './client-pools.js';
import { gatewayCli } from './paths.js';
import { freePort } from './ports.js';

export const TEST_SECRET = 'test-session-secret-0123456789abcdef';

export interface GatewayUnderTest {
  process: TestProcess;
  port: number;
  adminPort: number;
  url: string;
  adminUrl: string;
  configFile: string;
}

/** Write a config file for the given upstream servers; `extra` goes into the server block, `locations` replaces the default. */
export function writeConfig(options: { port: number; backends: string[]; serverExtra?: string; locations?: string; httpExtra?: string }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sg-conf-'));
  const file = join(dir, 'gateway.conf');
  const locations = options.locations ?? 'location / { proxy_pass http://app; }';
  writeFileSync(file, `events {}
http {
  ${options.httpExtra ?? ''}
  upstream app {
${options.backends.map((b) => `    server ${b};`).join('\n')}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${options.port};
    ${options.serverExtra ?? ''}
    ${locations}
  }
}
`);
  return file;
}

/** A gateway process whose stop first lets go of this test's idle keep-alive connections to it (client-pools.ts). */
export class GatewayProcess extends TestProcess {
  readonly #origins: string[];

  constructor(command: string, args: string[], env: NodeJS.ProcessEnv, origins: string[]) {
    super(command, args, env);
    this.#origins = origins;
  }

  override stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    releaseClientConnections(...this.#origins);
    return super.stop(signal);
  }
}

type StartOptions = { backends: string[]; redisUrl?: string; env?: NodeJS.ProcessEnv; serverExtra?: string; locations?: string; httpExtra?: string; configFile?: string; port?: number };

/**
 * Start the real gateway (the built CLI) on a config; resolves once it logs that it listens. A port of ours that
 * another process took between freePort() and the gateway's bind (any process's outgoing connection may get it) is
 * not the test's failure: the gateway is started again on new free ports (a port the caller chose is never changed).
 */
export function startGateway(options: StartOptions): Promise<GatewayUnderTest> {
  return againIfOurPortTaken(() => startGatewayOnce(options));
}

/** `start()` again (at most 3 times in all) while it fails with OurPortTaken: each call picks new free ports. */
export async function againIfOurPortTaken<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (!(err instanceof OurPortTaken) || attempt === 3) throw err;
    }
  }
}

async function startGatewayOnce(options: StartOptions): Promise<GatewayUnderTest> {
  const port = options.port ?? (await freePort());
  const adminPort = await freePort();
  const configFile = options.configFile ?? writeConfig({ port, backends: options.backends, serverExtra: options.serverExtra, locations: options.locations, httpExtra: options.httpExtra });
  const env: NodeJS.ProcessEnv = {
    SESSION_SECRET: TEST_SECRET,
    ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
    LOG_LEVEL: 'debug',
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : { REDIS_URL: '' }),
    ...options.env,
  };
  const proc = new GatewayProcess(process.execPath, [gatewayCli, 'start', '-c', configFile], env, [`http://127.0.0.1:${port}`, `http://127.0.0.1:${adminPort}`]);
  const ours = [
    ...(options.port === undefined && options.configFile === undefined ? [port] : []),
    ...(env.ADMIN_LISTEN === `127.0.0.1:${adminPort}` ? [adminPort] : []),
  ];
  await waitListening(proc, 'gateway listening', 60_000, ours);
  return { process: proc, port, adminPort, url: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}`, configFile };
}

/** The gateway could not bind a port the helper picked for it (freePort() is free "a moment ago" only). */
export class OurPortTaken extends Error {}

/**
 * Wait for a gateway's (or master's) `gateway.listening`. A gateway that never listened is still this test's
 * process: it is stopped, and the error says what it logged last; an EADDRINUSE on one of `ours` is OurPortTaken.
 */
export async function waitListening(proc: TestProcess, what: string, timeoutMs: number, ours: number[]): Promise<void> {
  try {
    // A master forks its worker first: on a busy machine that alone can take many seconds (no timing is asserted).
    await proc.waitForRecord((r) => r.event === 'gateway.listening', what, timeoutMs);
  } catch (err) {
    await proc.stop('SIGKILL');
    const taken = proc.records().some((r) => r.code === 'SG_LISTEN_FAILED' && /EADDRINUSE/.test(String(r.err)) && ours.some((p) => String(r.err).includes(`:${p} `)));
    const last = proc.records().slice(-5).map((r) => String(r.msg)).join(' | ');
    const message = `${(err as Error).message}; its last log lines: ${last}`;
    throw taken ? new OurPortTaken(message) : new Error(message);
  }
}
