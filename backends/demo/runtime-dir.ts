import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * Where `npm start` keeps one pid file per demo backend (`<dir>/<port>.pid`), so a rolling restart's restart command
 * can signal a backend and let run-demo respawn it. SESSION_GATEWAY_DEMO_DIR overrides the default.
 */
export function demoRuntimeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SESSION_GATEWAY_DEMO_DIR?.trim() || join(tmpdir(), 'session-gateway-demo');
}

export function demoPidFile(port: number | string, env: NodeJS.ProcessEnv = process.env): string {
  return join(demoRuntimeDir(env), `${port}.pid`);
}

/** The pid in a pid file, or null when there is none (or it is not a number). */
export function readPidFile(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The repository root: the nearest folder above `fromDir` holding this package's package.json (works from dist/ and .build/X/). */
export function findRepoRoot(fromDir: string): string {
  for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'session-gateway') return dir;
      } catch {
        // not ours; keep walking up
      }
    }
    if (dirname(dir) === dir) throw new Error(`no session-gateway package.json above ${fromDir}`);
  }
}
