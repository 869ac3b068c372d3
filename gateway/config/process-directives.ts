import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ConfigReport } from './config-report.js';
import type { Directive } from './parser.js';
import { defaults, type ErrorLogSettings, type ProcessSettings } from './settings.js';
import { parseCount, parseTimeMs } from './units.js';

/**
 * The main-context directives of the process model (docs/architecture.md §12), with nginx's meaning:
 * `worker_processes N | auto;` `worker_shutdown_timeout T;` `pid FILE;` `master_process on | off;` and
 * `error_log FILE [LEVEL];` (the gateway's own log lines; USR1 reopens the file). Relative paths are resolved
 * against the directory of the file they are written in, like `include`.
 */

/** Directives read here when written in the main context (build-settings.ts leaves them to this file). */
export const PROCESS_DIRECTIVES: ReadonlySet<string> = new Set(['worker_processes', 'worker_shutdown_timeout', 'pid', 'master_process', 'error_log']);

/** nginx's error_log levels → the logger's. */
const LOG_LEVELS: Record<string, string> = {
  debug: 'debug', info: 'info', notice: 'info', warn: 'warn', error: 'error', crit: 'fatal', alert: 'fatal', emerg: 'fatal',
};

export function readProcessDirectives(main: readonly Directive[], report: ConfigReport): ProcessSettings {
  const out: ProcessSettings = { ...defaults.process };
  const seen = new Set<string>();
  for (const d of main) {
    if (!PROCESS_DIRECTIVES.has(d.name) || !report.shape(d, false)) continue;
    if (seen.has(d.name)) {
      report.problem(d, `"${d.name}" directive is duplicate`);
      continue;
    }
    seen.add(d.name);
    if (d.name === 'error_log') {
      const log = readErrorLog(d, report);
      if (log) out.errorLog = log;
      continue;
    }
    if (!report.arity(d, 1)) continue;
    const value = d.args[0]!;
    if (d.name === 'worker_processes') {
      const n = value === 'auto' ? availableParallelism() : parseCount(value);
      if (n === null || n < 1) report.problem(d, `invalid value "${value}" in "worker_processes" directive (a number ≥ 1 or "auto")`);
      else out.workerProcesses = n;
    } else if (d.name === 'worker_shutdown_timeout') {
      const ms = parseTimeMs(value);
      if (ms === null) report.problem(d, `invalid time "${value}" in "worker_shutdown_timeout" directive`);
      else out.workerShutdownTimeoutMs = ms;
    } else if (d.name === 'master_process') {
      if (value !== 'on' && value !== 'off') report.problem(d, `invalid value "${value}" in "master_process" directive, it must be "on" or "off"`);
      else out.masterProcess = value === 'on';
    } else {
      out.pidFile = pathOf(d, value);
    }
  }
  return out;
}

function readErrorLog(d: Directive, report: ConfigReport): ErrorLogSettings | null {
  if (!report.arity(d, 1, 2)) return null;
  const [target, levelName] = d.args as [string, string | undefined];
  let level: string | null = null;
  if (levelName !== undefined) {
    level = LOG_LEVELS[levelName] ?? null;
    if (level === null) {
      report.problem(d, `invalid log level "${levelName}" in "error_log" directive`);
      return null;
    }
  }
  if (/^(syslog|memory):/.test(target)) {
    report.problem(d, `"error_log ${target}" is not supported by the gateway (a file, stderr or stdout)`);
    return null;
  }
  const file = target === 'stderr' || target === 'stdout' ? target : pathOf(d, target);
  return { file, level };
}

function pathOf(d: Directive, path: string): string {
  return isAbsolute(path) ? path : resolve(dirname(d.file), path);
}
