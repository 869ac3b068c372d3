import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { request } from 'undici';
import { ManagedProcess } from '../../../scripts/rolling/processes.js';
import { TEST_SECRET } from '../../helpers/gateway-process.js';
import { buildRoot } from '../../helpers/paths.js';
import { freePort } from '../../helpers/ports.js';
import { examplesRoot, python, pythonAdapterRoot } from '../../helpers/python.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * The sample apps of examples/ as real processes on free ports: Flask and Django under gunicorn (Debian's
 * python3-gunicorn; SIGTERM is its graceful stop) or Flask under werkzeug's development server, Express under Node.
 * With `pidDir` each is respawned when it exits and keeps its pid in `<pidDir>/<port>.pid`, so a rolling restart's
 * `--exec "node dist/backends/restart-demo-backend.js {port}"` can restart it (SESSION_GATEWAY_DEMO_DIR=pidDir).
 */

export type Framework = 'flask' | 'django' | 'express';

export interface AppInstance {
  framework: Framework;
  name: string;
  port: number;
  process: ManagedProcess;
}

export interface AppOptions {
  /** Respawn on exit, pid file in this folder. */
  pidDir?: string;
  /** Flask only: werkzeug's development server instead of gunicorn. */
  werkzeug?: boolean;
  /** Django only: the sqlite database (see prepareDjangoDatabase). */
  djangoDb?: string;
  /** The app script: Express (default examples/express-app/app.cjs; its folder's node_modules provide `express`), or
   * Flask on werkzeug (default examples/flask-app/app.py). */
  script?: string;
  env?: NodeJS.ProcessEnv;
}

function gunicorn(port: number, module: string, chdir: string): string[] {
  return ['-m', 'gunicorn', '--bind', `127.0.0.1:${port}`, '--workers', '1', '--worker-class', 'gthread', '--threads', '8', '--keep-alive', '5', '--graceful-timeout', '10', '--chdir', chdir, module];
}

export function appEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, SESSION_SECRET: TEST_SECRET, PYTHONPATH: pythonAdapterRoot, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', ...extra };
}

export async function startApp(framework: Framework, options: AppOptions = {}): Promise<AppInstance> {
  const port = await freePort();
  const name = `127.0.0.1:${port}`;
  const env = appEnv({ APP_NAME: `${framework}@${name}`, ...options.env });
  let command: string;
  let args: string[];
  if (framework === 'flask') {
    command = python;
    args = options.werkzeug ? [options.script ?? join(examplesRoot, 'flask-app', 'app.py'), '--port', String(port)] : gunicorn(port, 'app:app', join(examplesRoot, 'flask-app'));
  } else if (framework === 'django') {
    command = python;
    args = gunicorn(port, 'shop.wsgi:application', join(examplesRoot, 'django-app'));
    if (options.djangoDb) env.DJANGO_DB = options.djangoDb;
  } else {
    command = process.execPath;
    args = [options.script ?? join(examplesRoot, 'express-app', 'app.cjs')];
    env.PORT = String(port);
  }
  const proc = new ManagedProcess(`${framework}@${name}`, command, args, env, options.pidDir ? { respawn: true, pidFile: join(options.pidDir, `${port}.pid`) } : {});
  proc.start();
  await waitFor(async () => {
    if (!proc.alive && proc.pids.length > 0) throw new Error(`${framework} app exited:\n${proc.tail()}`);
    const res = await request(`http://${name}/healthz`);
    await res.body.dump();
    return res.statusCode === 200;
  }, { timeoutMs: 30_000, what: `${framework} app on ${port}` }).catch((err: Error) => {
    throw new Error(`${err.message}\n${proc.tail()}`, { cause: err });
  });
  return { framework, name, port, process: proc };
}

/** Create the Django sample's sqlite database (contrib.auth's tables), once per test file. */
export async function prepareDjangoDatabase(db: string): Promise<void> {
  const child = spawn(python, [join(examplesRoot, 'django-app', 'manage.py'), 'migrate', '--noinput', '-v', '0'], { env: appEnv({ DJANGO_DB: db }), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`manage.py migrate failed (${code}):\n${output}`);
}

/** The restart command of a rolling restart over these apps (run with SESSION_GATEWAY_DEMO_DIR = their pidDir). */
export const restartExec = `${process.execPath} ${join(buildRoot, 'backends', 'restart-demo-backend.js')} {port}`;

/** A gateway config with one upstream per app group, each mounted under its prefix ("/py/" → flask's "/"). */
export function frameworkConfig(port: number, mounts: Array<{ prefix: string; upstream: string; apps: AppInstance[] }>, serverExtra = ''): string {
  const upstreams = mounts.map((m) => `  upstream ${m.upstream} {\n${m.apps.map((a) => `    server ${a.name};`).join('\n')}\n    keepalive 16;\n    keepalive_timeout 2s;\n  }`).join('\n');
  const locations = mounts.map((m) => `    location ${m.prefix} { proxy_pass http://${m.upstream}/; }`).join('\n');
  return `events {}
http {
${upstreams}
  proxy_next_upstream error timeout;
  proxy_next_upstream_tries 3;
  server {
    listen 127.0.0.1:${port};
    set $health_check_interval 500ms;
    set $slow_start 2s;
    ${serverExtra}
${locations}
  }
}
`;
}
