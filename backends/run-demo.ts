#!/usr/bin/env node
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoPidFile, demoRuntimeDir, findRepoRoot } from './demo/runtime-dir.js';
import { SupervisedProcess } from './demo/supervisor.js';

/**
 * What `npm start` runs: the three demo backends (127.0.0.1:8081-8083, named exactly as in nginx-compat.conf's
 * upstream `app`; the Portal app on 8084-8085, upstream `portal`, mounted under /portal/)
 * and the gateway on nginx-compat.conf, each a child process whose output is prefixed with its name.
 * A backend that exits is started again, so the restart command of a rolling restart only has to signal it:
 *
 *   npm run rolling-restart      (= session-gateway rolling-restart --exec "node dist/backends/restart-demo-backend.js {port}")
 *   session-gateway rolling-restart --exec "kill -TERM $(cat <tmpdir>/session-gateway-demo/{port}.pid)"
 *
 * (restart-demo-backend.js also waits until the respawned process has written its new pid.)
 * Ctrl-C / SIGTERM stops every child and exits 0.
 */

const BACKEND_PORTS = [8081, 8082, 8083] as const;
/** The second demo app (upstream `portal`, `location /portal/`): the same app mounted under /portal. */
const PORTAL_PORTS = [8084, 8085] as const;
const GATEWAY_URL = 'http://127.0.0.1:8080/';
const ADMIN_URL = 'http://127.0.0.1:9901/';
/** Only for `npm start` on a laptop: a real deployment sets SESSION_SECRET (and ideally SESSION_HEADER_SECRET). */
const DEMO_SESSION_SECRET = 'demo-only-session-secret-change-me-0123456789';
const COLORS = ['\u001b[36m', '\u001b[32m', '\u001b[35m', '\u001b[33m'];

const here = dirname(fileURLToPath(import.meta.url));
const distRoot = dirname(here);
const repoRoot = findRepoRoot(here);

function probe(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: 1_000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function waitUntilAnswers(url: string, timeoutMs: number, gone: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gone()) {
    if (await probe(url)) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (!env.SESSION_SECRET?.trim()) {
    env.SESSION_SECRET = DEMO_SESSION_SECRET;
    process.stdout.write('run-demo        | SESSION_SECRET is not set: using a fixed DEMO secret (never use it outside this demo)\n');
  }
  mkdirSync(demoRuntimeDir(env), { recursive: true });
  let shuttingDown = false;
  const children: SupervisedProcess[] = [];

  for (const [i, port] of BACKEND_PORTS.entries()) {
    const name = `127.0.0.1:${port}`;
    children.push(
      new SupervisedProcess({
        name,
        command: process.execPath,
        args: [join(here, 'demo-app.js'), '--port', String(port), '--name', name],
        env,
        cwd: repoRoot,
        respawn: true,
        pidFile: demoPidFile(port, env),
        color: COLORS[i % COLORS.length],
      }),
    );
  }
  for (const [i, port] of PORTAL_PORTS.entries()) {
    const name = `127.0.0.1:${port}`;
    children.push(
      new SupervisedProcess({
        name,
        command: process.execPath,
        args: [join(here, 'demo-app.js'), '--port', String(port), '--name', name, '--base-path', '/portal'],
        env,
        cwd: repoRoot,
        respawn: true,
        pidFile: demoPidFile(port, env),
        color: COLORS[(i + BACKEND_PORTS.length) % COLORS.length],
      }),
    );
  }
  let gatewayExited = false;
  const gateway = new SupervisedProcess({
    name: 'gateway',
    command: process.execPath,
    args: [join(distRoot, 'gateway', 'cli', 'main.js'), 'start', '-c', join(repoRoot, 'nginx-compat.conf')],
    env,
    cwd: repoRoot,
    respawn: false,
    color: COLORS[3],
    onExit: (code, signal) => {
      gatewayExited = true;
      process.stdout.write(`run-demo        | the gateway exited (${signal ?? `code ${code}`}); stopping the demo\n`);
      void shutdown(code === 0 ? 0 : 1);
    },
  });

  const shutdown = async (exitCode: number): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    process.stdout.write('run-demo        | stopping the gateway and the backends…\n');
    await Promise.all([gateway, ...children].map((child) => child.stop()));
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  for (const child of children) child.start();
  gateway.start();

  const up = await waitUntilAnswers(GATEWAY_URL, 30_000, () => gatewayExited || shuttingDown);
  if (shuttingDown) return;
  if (!up) {
    process.stdout.write(`run-demo        | the gateway did not answer on ${GATEWAY_URL} within 30 s; see its output above\n`);
    return;
  }
  const restartScript = relative(repoRoot, join(here, 'restart-demo-backend.js'));
  const lines = [
    '',
    `  Demo page:        ${GATEWAY_URL}  (second app, same login: ${GATEWAY_URL}portal/)`,
    `  Admin listener:   ${ADMIN_URL}`,
    `  Backends:         ${BACKEND_PORTS.map((p) => `127.0.0.1:${p}`).join(', ')} (app), ${PORTAL_PORTS.map((p) => `127.0.0.1:${p}`).join(', ')} (portal) (pid files in ${demoRuntimeDir(env)})`,
    '',
    '  Rolling restart (in another terminal):',
    `    npm run rolling-restart     (runs: session-gateway rolling-restart --exec "node ${restartScript} {port}")`,
    `    equivalent --exec: "kill -TERM $(cat ${demoPidFile('{port}', env)})" — run-demo respawns the backend`,
    '',
    '  Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(lines.map((line) => `run-demo        | ${line}`).join('\n') + '\n');
}

void main();
