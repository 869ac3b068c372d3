import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { freePort, waitFor, waitForRedis } from '../lib/net.js';
import { ManagedProcess } from './processes.js';

/** The build folder this file was compiled into (dist/ or .build/NAME/). */
export const buildRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const gatewayCli = join(buildRoot, 'gateway', 'cli', 'main.js');
const demoApp = join(buildRoot, 'backends', 'demo-app.js');
const restartScript = join(buildRoot, 'backends', 'restart-demo-backend.js');
export const FLEET_SECRET = 'loadtest-rolling-session-secret-0123456789';

export interface FleetOptions {
  backends: number;
  gateways: number;
  /** Use Redis even for one gateway (two or more always do). */
  redis: boolean;
  /** Extra lines for the `server` block (health check intervals...). */
  serverExtra?: string;
  adminToken?: string;
  /** Another backend program than the demo app (run as `node SCRIPT --port P --name N`, respawned the same way). */
  backendScript?: string;
  /** Backends from this index on are `backup` servers (taken only when the others cannot). */
  backupFrom?: number;
  /** Extra environment for the demo backends (their stop timeout, ...). */
  backendEnv?: NodeJS.ProcessEnv;
}

export interface GatewayHandle {
  process: ManagedProcess;
  port: number;
  adminPort: number;
  url: string;
  adminUrl: string;
}

/**
 * Everything a rolling-restart run needs, on 127.0.0.1 only: a private redis-server (never the shared 6379) when
 * asked or when there are several gateways, demo backends that are respawned when they exit (as `npm start` does,
 * pid files in a private runtime dir), and the gateways sharing one config.
 */
export class Fleet {
  readonly dir = mkdtempSync(join(tmpdir(), 'sg-rolling-'));
  redis: ManagedProcess | null = null;
  redisUrl: string | null = null;
  readonly backends: Array<{ name: string; port: number; process: ManagedProcess }> = [];
  readonly gateways: GatewayHandle[] = [];
  readonly options: FleetOptions;

  constructor(options: FleetOptions) {
    this.options = options;
  }

  /** The `--exec` the demo needs: signal the backend, wait until it was respawned. */
  restartExec(): string {
    return `node ${restartScript} {port}`;
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...process.env, SESSION_SECRET: FLEET_SECRET, SESSION_GATEWAY_DEMO_DIR: this.dir, LOG_FORMAT: 'json', ...extra };
  }

  async start(): Promise<void> {
    if (this.options.redis || this.options.gateways > 1) await this.#startRedis();
    for (let i = 0; i < this.options.backends; i++) {
      const port = await freePort();
      const name = `127.0.0.1:${port}`;
      const proc = new ManagedProcess(name, process.execPath, [this.options.backendScript ?? demoApp, '--port', String(port), '--name', name], this.env({ LOG_LEVEL: 'warn', ...this.options.backendEnv }), { respawn: true, pidFile: join(this.dir, `${port}.pid`) });
      proc.start();
      this.backends.push({ name, port, process: proc });
    }
    // Processes starting on a busy machine can take many seconds (the tests' own helpers give them a minute too).
    await Promise.all(this.backends.map((b) => waitFor(async () => (await request(`http://${b.name}/healthz`)).statusCode === 200, { timeoutMs: 60_000, what: `backend ${b.name}` })));
    const port0 = await freePort();
    const ports = [port0];
    for (let i = 1; i < this.options.gateways; i++) ports.push(await freePort());
    for (const port of ports) await this.startGateway(port);
  }

  configFor(port: number): string {
    const file = join(this.dir, `gateway-${port}.conf`);
    writeFileSync(file, `events {}
http {
  upstream app {
${this.backends.map((b, i) => `    server ${b.name}${i >= (this.options.backupFrom ?? Infinity) ? ' backup' : ''};`).join('\n')}
    keepalive 32;
    keepalive_timeout 4s;
  }
  proxy_next_upstream error timeout;
  proxy_next_upstream_tries 3;
  server {
    listen 127.0.0.1:${port};
    # every virtual user comes from this machine: no per-client bound on session creation
    set $session_create_rate off;
    ${this.options.serverExtra ?? ''}
    location / { proxy_pass http://app; }
  }
}
`);
    return file;
  }

  async startGateway(port: number): Promise<GatewayHandle> {
    const adminPort = await freePort();
    const env = this.env({ ADMIN_LISTEN: `127.0.0.1:${adminPort}`, REDIS_URL: this.redisUrl ?? '', LOG_LEVEL: 'info', ...(this.options.adminToken ? { ADMIN_TOKEN: this.options.adminToken } : {}) });
    const proc = new ManagedProcess(`gateway:${port}`, process.execPath, [gatewayCli, 'start', '-c', this.configFor(port)], env);
    proc.start();
    const handle: GatewayHandle = { process: proc, port, adminPort, url: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}` };
    await waitFor(async () => {
      if (!proc.alive && proc.pids.length > 0) throw new Error(`gateway exited:\n${proc.tail()}`);
      return (await request(`${handle.adminUrl}/healthz`)).statusCode === 200;
    }, { timeoutMs: 60_000, what: `gateway on ${port}` });
    this.gateways.push(handle);
    return handle;
  }

  async #startRedis(): Promise<void> {
    const port = await freePort();
    this.redis = new ManagedProcess('redis', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir], process.env);
    this.redis.start();
    this.redisUrl = `redis://127.0.0.1:${port}`;
    await waitForRedis(port, () => {}, 60_000);
  }

  /** The current pid of each backend (from the processes this fleet runs). */
  backendPids(): Record<string, number | null> {
    return Object.fromEntries(this.backends.map((b) => [b.name, b.process.pid]));
  }

  async stop(): Promise<void> {
    await Promise.all(this.gateways.map((g) => g.process.stop()));
    await Promise.all(this.backends.map((b) => b.process.stop()));
    await this.redis?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
