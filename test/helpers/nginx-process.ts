import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait-for.js';
import { rawExchange } from './raw-http.js';

/** The nginx binary the tests use, or null when the machine has none (CI installs it: see .ci/run). */
export function findNginx(): string | null {
  for (const candidate of ['nginx', '/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']) {
    if (spawnSync(candidate, ['-v'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return null;
}

/** Directives nginx needs to run from a scratch prefix (its compiled-in temp paths are root's); the gateway ignores them. */
export const NGINX_SCRATCH_DIRECTIVES = [
  'client_body_temp_path body;', 'proxy_temp_path proxy;', 'fastcgi_temp_path fastcgi;', 'uwsgi_temp_path uwsgi;',
  'scgi_temp_path scgi;', 'access_log off;',
].join(' ');

/**
 * A real nginx on a config file of its own, from a temporary prefix: never the system service, never its paths.
 * One process (`master_process off`), so upstream round-robin state is one, as in the gateway; run as `nobody` when
 * the tests run as root, so it needs no privilege.
 */
export class NginxProcess {
  readonly prefix: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  #stderr = '';

  private constructor(prefix: string, child: ChildProcess) {
    this.prefix = prefix;
    this.#child = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => (this.#stderr += d));
    this.#exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Start nginx on `config` (the whole file) and wait until `port` answers. */
  static async start(binary: string, config: string, port: number): Promise<NginxProcess> {
    const prefix = mkdtempSync(join(tmpdir(), 'sg-nginx-'));
    mkdirSync(join(prefix, 'logs'));
    const file = join(prefix, 'nginx.conf');
    writeFileSync(file, config);
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      // nobody:nogroup on Debian; nginx then needs no privilege at all.
      for (const p of [prefix, join(prefix, 'logs'), file]) chownSync(p, 65534, 65534);
      chmodSync(prefix, 0o755);
    }
    const args = ['-p', `${prefix}/`, '-c', file, '-e', join(prefix, 'logs', 'error.log'), '-g', `daemon off; master_process off; pid ${join(prefix, 'nginx.pid')};`];
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(asRoot ? { uid: 65534, gid: 65534 } : {}) });
    const nginx = new NginxProcess(prefix, child);
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${nginx.#stderr}${nginx.errorLog()}`);
      const [res] = await rawExchange(port, 'GET / HTTP/1.0\r\n\r\n', { timeoutMs: 1_000 });
      return res !== undefined;
    }, { timeoutMs: 15_000, what: 'nginx listening' });
    return nginx;
  }

  errorLog(): string {
    const file = join(this.prefix, 'logs', 'error.log');
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    await this.#exited;
    rmSync(this.prefix, { recursive: true, force: true });
  }
}

/** `nginx -t` on a config text, from a scratch prefix: whether it passes, and what it said. */
export function nginxTest(binary: string, config: string): { ok: boolean; output: string } {
  const prefix = mkdtempSync(join(tmpdir(), 'sg-nginx-t-'));
  try {
    mkdirSync(join(prefix, 'logs'));
    const file = join(prefix, 'nginx.conf');
    writeFileSync(file, config);
    const result = spawnSync(binary, ['-t', '-q', '-p', `${prefix}/`, '-c', file, '-e', 'stderr', '-g', `pid ${join(prefix, 'nginx.pid')};`], { encoding: 'utf8' });
    return { ok: result.status === 0, output: result.stderr };
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
}
