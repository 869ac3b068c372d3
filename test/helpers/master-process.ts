import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import type { GatewayProcessReport } from '../../gateway/process/process-report.js';
import { TestProcess } from './child-process.js';
import { againIfOurPortTaken, GatewayProcess, TEST_SECRET, waitListening } from './gateway-process.js';
import { gatewayCli } from './paths.js';
import { freePort } from './ports.js';

/** A gateway master (and its workers) under test, with the pid file its CLI commands find. */
export interface MasterUnderTest {
  process: TestProcess;
  port: number;
  url: string;
  adminUrl: string;
  configFile: string;
  pidFile: string;
  env: NodeJS.ProcessEnv;
  /** The CLI it was started with (and its commands run with). */
  cli: string;
}

export interface MasterConfig {
  port: number;
  backends: string[];
  workers: number;
  pidFile: string;
  /** Main-context lines (worker_shutdown_timeout …). */
  main?: string;
  /** Lines in the server block. */
  server?: string;
}

export function masterConfigText(c: MasterConfig): string {
  return `worker_processes ${c.workers};
pid ${c.pidFile};
${c.main ?? ''}
events {}
http {
  upstream app {
${c.backends.map((b) => `    server ${b};`).join('\n')}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${c.port};
    ${c.server ?? ''}
    location / { proxy_pass http://app; }
  }
}
`;
}

type MasterOptions = { backends: string[]; workers: number; redisUrl?: string; main?: string; server?: string; env?: NodeJS.ProcessEnv; cli?: string };

/**
 * Start `session-gateway start` (master mode) on a fresh config; resolves once the master logs that it listens.
 * Started again on new free ports when one of them was taken before the master bound it (as startGateway does).
 */
export function startMaster(options: MasterOptions): Promise<MasterUnderTest> {
  return againIfOurPortTaken(() => startMasterOnce(options));
}

async function startMasterOnce(options: MasterOptions): Promise<MasterUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-master-'));
  const port = await freePort();
  const adminPort = await freePort();
  const configFile = join(dir, 'gateway.conf');
  const pidFile = join(dir, 'gateway.pid');
  writeFileSync(configFile, masterConfigText({ port, backends: options.backends, workers: options.workers, pidFile, main: options.main, server: options.server }));
  const env: NodeJS.ProcessEnv = {
    SESSION_SECRET: TEST_SECRET, ADMIN_LISTEN: `127.0.0.1:${adminPort}`, LOG_LEVEL: 'info', REDIS_URL: options.redisUrl ?? '', ...options.env,
  };
  const cli = options.cli ?? gatewayCli;
  const proc = new GatewayProcess(process.execPath, [cli, 'start', '-c', configFile], env, [`http://127.0.0.1:${port}`, `http://127.0.0.1:${adminPort}`]);
  await waitListening(proc, 'the master listening', 60_000, [port, ...(env.ADMIN_LISTEN === `127.0.0.1:${adminPort}` ? [adminPort] : [])]);
  return { process: proc, port, url: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}`, configFile, pidFile, env, cli };
}

export async function processReport(m: MasterUnderTest): Promise<GatewayProcessReport> {
  const res = await request(`${m.adminUrl}/api/gateway`);
  return (await res.body.json()) as GatewayProcessReport;
}

/** Run a CLI command against the master (its admin API from the same environment). */
export function runCli(m: Pick<MasterUnderTest, 'env'> & { cli?: string }, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [m.cli ?? gatewayCli, ...args], { env: { ...process.env, ...m.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}
