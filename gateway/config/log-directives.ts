import { dirname, isAbsolute, join } from 'node:path';
import type { ConfigReport } from './config-report.js';
import type { Directive } from './parser.js';
import { parseSize, parseTimeMs } from './units.js';
import { compileTemplate, type DefinedVariables, type Template } from './variables.js';

/**
 * nginx's ngx_http_log_module: `log_format NAME [escape=default|json|none] STRING...;` (http) and
 * `access_log PATH [FORMAT [buffer=SIZE] [flush=TIME] [if=CONDITION]] | off;` (http, server, location), with nginx's
 * inheritance: a level with any access_log replaces the inherited list, `off` turns logging off at its level.
 * Without any access_log the gateway writes its `json` format to stdout (nginx: `combined` to logs/access.log).
 * Relative paths are resolved against the main config file's directory (nginx: its prefix). docs/architecture.md §8.
 */

export type LogEscape = 'default' | 'json' | 'none';

export interface LogFormatSettings {
  name: string;
  escape: LogEscape;
  template: Template;
}

export interface AccessLogTarget {
  /** An absolute path; `/dev/stdout` and `/dev/stderr` are the process's own streams. */
  path: string;
  format: LogFormatSettings;
  /** `buffer=`: bytes held before a write (0: each line goes out as soon as the previous write is done). */
  bufferBytes: number;
  /** `flush=`: the longest a buffered line waits; 0 = no timer. */
  flushMs: number;
  /** `if=`: the line is skipped when this expands to '' or "0". */
  condition: Template | null;
  source: string;
}

export const LOG_DIRECTIVE_CONTEXTS: Record<string, ReadonlyArray<'http' | 'server' | 'location'>> = {
  log_format: ['http'],
  access_log: ['http', 'server', 'location'],
};

/** Variables only the access log has: they are known once the response is over (observability/log-variables.ts). */
export const LOG_VARIABLES: ReadonlySet<string> = new Set([
  'status', 'body_bytes_sent', 'bytes_sent', 'request_time', 'request_length', 'connection', 'connection_requests',
  'upstream_addr', 'upstream_status', 'upstream_response_time', 'upstream_header_time', 'upstream_connect_time',
  'upstream_bytes_sent', 'upstream_bytes_received', 'pipe',
  'session_sid', 'session_principal',
]);

/** nginx's predefined format. */
const COMBINED = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';

/** The gateway's default line: what an operator's log pipeline needs of every request, as one JSON object. */
const JSON_LINE = '{"time":"$time_iso8601","event":"access","request_id":"$request_id","remote_addr":"$remote_addr",'
  + '"method":"$request_method","path":"$uri","args":"$args","status":$status,"bytes_sent":$bytes_sent,'
  + '"request_time":$request_time,"upstream_addr":"$upstream_addr","upstream_status":"$upstream_status",'
  + '"upstream_response_time":"$upstream_response_time","host":"$host","user_agent":"$http_user_agent","sid":"$session_sid"}';

/** Every variable of a log format must be known: the request's, the log's own, or the response's `$sent_http_*`. */
function checkLogTemplate(text: string, defined: DefinedVariables, problem: (message: string) => void): Template | null {
  const template = compileTemplate(text);
  if (typeof template === 'string') {
    problem(template);
    return null;
  }
  const issues = template.parts.flatMap((part) => {
    if (!('variable' in part) || LOG_VARIABLES.has(part.variable) || /^sent_http_./.test(part.variable)) return [];
    return [defined.problemWith(part.variable)].filter((m): m is string => m !== null);
  });
  for (const message of issues) problem(message);
  return issues.length === 0 ? template : null;
}

function builtin(name: string, escape: LogEscape, text: string, defined: DefinedVariables): LogFormatSettings {
  return { name, escape, template: checkLogTemplate(text, defined, () => {})! };
}

/** The formats of the http block: nginx's `combined`, the gateway's `json` (a config may define its own `json`). */
export function readLogFormats(http: readonly Directive[], defined: DefinedVariables, report: ConfigReport): Map<string, LogFormatSettings> {
  const formats = new Map<string, LogFormatSettings>([['combined', builtin('combined', 'default', COMBINED, defined)]]);
  const own = new Set<string>();
  for (const d of http) {
    if (d.name !== 'log_format' || !report.shape(d, false) || !report.arity(d, 2, Infinity)) continue;
    const [name, ...rest] = d.args as [string, ...string[]];
    let escape: LogEscape = 'default';
    if (rest[0]?.startsWith('escape=')) {
      const value = rest.shift()!.slice(7);
      if (value !== 'default' && value !== 'json' && value !== 'none') report.problem(d, `unknown log format escaping "${value}"`);
      else escape = value;
    }
    if (rest.length === 0) report.problem(d, `invalid number of arguments in "log_format" directive`);
    else if (name === 'combined' || own.has(name)) report.problem(d, `duplicate "log_format" name "${name}"`);
    else {
      own.add(name);
      const template = checkLogTemplate(rest.join(''), defined, (message) => report.problem(d, message));
      if (template) formats.set(name, { name, escape, template });
    }
  }
  if (!formats.has('json')) formats.set('json', builtin('json', 'json', JSON_LINE, defined));
  return formats;
}

/** What every level's access_log is read against: the http block's formats, the config's variables, its main file. */
export interface LogContext {
  formats: ReadonlyMap<string, LogFormatSettings>;
  defined: DefinedVariables;
  mainFile: string;
}

/** The level's access logs over its parent's (nginx's merge: none written → the parent's; `off` → none). */
export function readAccessLogs(block: readonly Directive[], parent: readonly AccessLogTarget[], context: LogContext, report: ConfigReport): AccessLogTarget[] {
  const written = block.filter((d) => d.name === 'access_log');
  if (written.length === 0) return [...parent];
  const targets: AccessLogTarget[] = [];
  let off = false;
  for (const d of written) {
    if (!report.shape(d, false) || !report.arity(d, 1, Infinity)) continue;
    if (d.args[0] === 'off') {
      if (d.args.length > 1) report.problem(d, `invalid parameter "${d.args[1]}"`);
      off = true;
      continue;
    }
    const target = readTarget(d, context, report);
    if (target) targets.push(target);
  }
  return off ? [] : targets;
}

function readTarget(d: Directive, { formats, defined, mainFile }: LogContext, report: ConfigReport): AccessLogTarget | null {
  const [path, formatName = 'combined', ...params] = d.args as [string, ...string[]];
  if (path.startsWith('syslog:')) return problem(report, d, 'logging to syslog is not supported by the gateway (write to a file or /dev/stdout)');
  if (path.includes('$')) return problem(report, d, `variables in the "access_log" path are not supported ("${path}")`);
  const format = formats.get(formatName);
  if (!format) return problem(report, d, `unknown log format "${formatName}"`);
  const target: AccessLogTarget = {
    path: isAbsolute(path) ? path : join(dirname(mainFile), path), format, bufferBytes: 0, flushMs: 0, condition: null, source: `${d.file}:${d.line}`,
  };
  for (const p of params) {
    if (p.startsWith('buffer=')) {
      const n = parseSize(p.slice(7));
      if (n === null || n === 0) report.problem(d, `invalid buffer size "${p.slice(7)}"`);
      else target.bufferBytes = n;
    } else if (p.startsWith('flush=')) {
      const ms = parseTimeMs(p.slice(6));
      if (ms === null || ms === 0) report.problem(d, `invalid flush time "${p.slice(6)}"`);
      else target.flushMs = ms;
    } else if (p.startsWith('if=')) {
      target.condition = checkLogTemplate(p.slice(3), defined, (message) => report.problem(d, message));
    } else if (p === 'gzip' || p.startsWith('gzip=')) {
      report.problem(d, '"gzip" in "access_log" is not supported by the gateway (compress rotated files instead)');
    } else report.problem(d, `invalid parameter "${p}"`);
  }
  // nginx: flush= without buffer= is an error ("no buffer is defined for access_log").
  if (target.flushMs > 0 && target.bufferBytes === 0) report.problem(d, `no buffer is defined for access_log "${path}"`);
  return target;
}

function problem(report: ConfigReport, d: Directive, message: string): null {
  report.problem(d, message);
  return null;
}

/** No access_log anywhere: the gateway's JSON line on stdout. */
export function defaultAccessLogs(formats: ReadonlyMap<string, LogFormatSettings>): AccessLogTarget[] {
  return [{ path: '/dev/stdout', format: formats.get('json')!, bufferBytes: 0, flushMs: 0, condition: null, source: 'default' }];
}
