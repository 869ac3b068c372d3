import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchChild, readPortLine, spawnWithFdLimit } from './child-process.js';
import { gatewayConfig, nginxConfig } from './configs.js';
import { freePort, httpGet, waitFor } from '../lib/net.js';
import { BenchRedis } from './redis-launcher.js';
import type { TargetName } from './scenarios.js';

/** Where the compiled scripts find their siblings and the gateway, whatever the build folder (dist/, .build/NAME/). */
const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));
export const GATEWAY_MAIN = here('../../gateway/cli/main.js');
const BACKEND_MAIN = here('../bench-backend.js');
const EXPRESS_MAIN = here('../express-baseline.js');
export const NGINX_BIN = '/usr/sbin/nginx';

export type GatewayTarget = 'gateway-redis' | 'gateway-redis-wait' | 'gateway-embedded' | 'gateway-embedded-log' | 'gateway-embedded-w1' | 'gateway-redis-w1' | 'gateway-embedded-w2' | 'gateway-redis-w2';

/**
 * Each gateway target's `worker_processes`; 0 is `master_process off`: the store comparison rows run in one process
 * (embedded store in it) so their ratios compare the stores and nothing else; the -wN rows are the process model.
 */
const GATEWAY_WORKERS: Record<GatewayTarget, number> = {
  'gateway-redis': 0, 'gateway-redis-wait': 0, 'gateway-embedded': 0, 'gateway-embedded-log': 0, 'gateway-embedded-w1': 1, 'gateway-redis-w1': 1, 'gateway-embedded-w2': 2, 'gateway-redis-w2': 2,
};

export interface Target {
  name: TargetName;
  port: number;
  /** The process whose RSS/CPU the bench samples. */
  child: BenchChild;
}

export function nginxVersion(): string | null {
  if (!existsSync(NGINX_BIN)) return null;
  // nginx prints its version on stderr (and exits 0), so read both streams.
  const out = spawnSync(NGINX_BIN, ['-v'], { encoding: 'utf8' });
  return /nginx\/(\S+)/.exec(`${out.stdout ?? ''}${out.stderr ?? ''}`)?.[1] ?? null;
}

/** Everything a bench run starts: started in order, stopped in reverse, each skipped with a note when it cannot run. */
export class BenchStack {
  readonly targets = new Map<TargetName, Target>();
  readonly notes: string[] = [];
  redis: BenchRedis | null = null;
  /** A replica of `redis`, started only for the wait_replicas row. */
  replica: BenchRedis | null = null;
  readonly #dir = mkdtempSync(join(tmpdir(), 'sg-bench-'));
  readonly #children: BenchChild[] = [];
  readonly #fdLimit: number;
  readonly #secret = 'bench-session-secret-0123456789abcdef';

  /** `--cpu-prof DIR`: the gateways run with `node --cpu-prof`, writing a .cpuprofile when they stop. */
  readonly #cpuProfDir: string | null;

  constructor(fdLimit: number, cpuProfDir: string | null = null) {
    this.#fdLimit = fdLimit;
    this.#cpuProfDir = cpuProfDir;
  }

  async #startNodeScript(name: TargetName, script: string, args: string[]): Promise<Target> {
    const child = spawnWithFdLimit(name, process.execPath, [script, ...args], { fdLimit: this.#fdLimit });
    this.#children.push(child);
    const port = await readPortLine(child);
    const target = { name, port, child };
    this.targets.set(name, target);
    return target;
  }

  async startBackend(): Promise<Target> {
    return this.#startNodeScript('backend', BACKEND_MAIN, []);
  }

  async startRedis(): Promise<BenchRedis> {
    this.redis = await BenchRedis.start(this.#fdLimit);
    return this.redis;
  }

  /**
   * A replica of the bench Redis, synced before it returns: the wait_replicas row needs one to acknowledge. Every row
   * that writes then pays the replication stream, so the write row next to it differs by the WAIT alone.
   */
  async startReplica(): Promise<BenchRedis | null> {
    if (!this.redis) return null;
    try {
      this.replica = await BenchRedis.start(this.#fdLimit, this.redis.port);
      await this.replica.synced();
    } catch (err) {
      this.notes.push(`Redis replica: skipped — ${(err as Error).message}`);
      await this.replica?.close();
      this.replica = null;
    }
    return this.replica;
  }

  async startExpress(backendPort: number, redisUrl: string): Promise<Target> {
    return this.#startNodeScript('express', EXPRESS_MAIN, ['--backend', String(backendPort), '--redis', redisUrl]);
  }

  /**
   * A gateway on the Redis store (redisUrl) or the embedded one (null); ready when a request through it gets a 200.
   * `register: false` starts a scratch one (the memory scenarios want a fresh process) that the caller stops.
   */
  async startGateway(name: GatewayTarget, backendPort: number, redisUrl: string | null, register = true): Promise<Target | null> {
    if (!existsSync(GATEWAY_MAIN)) {
      this.notes.push(`${name}: skipped — the gateway is not built (${GATEWAY_MAIN} missing)`);
      return null;
    }
    const port = await freePort();
    const file = join(this.#dir, `${name}-${port}.conf`);
    const accessLog = name === 'gateway-embedded-log' ? join(this.#dir, `${name}-${port}.access.log`) : undefined;
    const waitReplicas = name === 'gateway-redis-wait' ? 1 : 0;
    writeFileSync(file, gatewayConfig({ listenPort: port, backendPort, sessionMaxBytes: '16k', workers: GATEWAY_WORKERS[name], accessLog, waitReplicas }));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SESSION_SECRET: this.#secret,
      ADMIN_LISTEN: `127.0.0.1:${await freePort()}`,
      LOG_LEVEL: 'warn',
    };
    delete env.REDIS_URL;
    delete env.ADMIN_TOKEN;
    if (redisUrl) env.REDIS_URL = redisUrl;
    const profile = this.#cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', this.#cpuProfDir, '--cpu-prof-name', `${name}-${Date.now()}.cpuprofile`] : [];
    const child = spawnWithFdLimit(name, process.execPath, [...profile, GATEWAY_MAIN, 'start', '-c', file], { env, fdLimit: this.#fdLimit });
    this.#children.push(child);
    try {
      await waitFor(async () => {
        if (!child.alive) throw new Error(`exited: ${child.stderrTail()}`);
        return (await httpGet(port, '/')).status === 200;
      // A master forks and waits for its workers before it serves: on a loaded machine that takes a while.
      }, { what: `${name} on ${port} to answer 200`, timeoutMs: GATEWAY_WORKERS[name] > 0 ? 60_000 : 20_000, intervalMs: 100 });
    } catch (err) {
      this.notes.push(`${name}: skipped — did not become ready: ${(err as Error).message}; ${child.stderrTail()}`);
      await child.stop(500);
      return null;
    }
    const target = { name, port, child };
    if (register) this.targets.set(name, target);
    return target;
  }

  async startNginx(backendPort: number, name: 'nginx' | 'nginx-w2' = 'nginx'): Promise<Target | null> {
    if (!existsSync(NGINX_BIN)) {
      this.notes.push(`nginx: skipped — ${NGINX_BIN} is not installed`);
      return null;
    }
    const prefix = join(this.#dir, name);
    mkdirSync(prefix, { recursive: true });
    const port = await freePort();
    const file = join(prefix, 'nginx.conf');
    writeFileSync(file, nginxConfig({ listenPort: port, backendPort, prefixDir: prefix, workers: name === 'nginx-w2' ? 2 : 1 }));
    const child = spawnWithFdLimit(name, NGINX_BIN, ['-p', prefix, '-c', file, '-g', 'daemon off;'], { fdLimit: this.#fdLimit });
    this.#children.push(child);
    try {
      await waitFor(async () => {
        if (!child.alive) throw new Error(`exited: ${child.stderrTail()}`);
        return (await httpGet(port, '/')).status === 200;
      }, { what: `${name} on ${port}` });
    } catch (err) {
      this.notes.push(`${name}: skipped — did not start: ${(err as Error).message}`);
      await child.stop(500);
      return null;
    }
    const target = { name, port, child };
    this.targets.set(name, target);
    return target;
  }

  /** Processes that died while the bench needed them (a crash under load is a finding for the report). */
  crashes(): string[] {
    return this.#children.map((c) => c.unexpectedExit).filter((m): m is string => m !== null);
  }

  async close(): Promise<void> {
    for (const child of [...this.#children].reverse()) await child.stop();
    await this.replica?.close();
    await this.redis?.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
