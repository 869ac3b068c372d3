import { ACCESS_DIRECTIVES, AccessFiles, locationAccess, readAccessLevel, serverAccess, TOP_ACCESS_LEVEL, type AccessLevel } from './access-directives.js';
import { buildUpstream } from './build-upstream.js';
import { ConfigReport, sortByPosition } from './config-report.js';
import { applyHealthVariable, applySessionVariable, readRequestIdHeader, readSet, SERVER_ONLY_SESSION, variableKind } from './gateway-variables.js';
import { parseAddress } from './listen-address.js';
import { readLocationName } from './location-directive.js';
import type { Directive } from './parser.js';
import { PROCESS_DIRECTIVES, readProcessDirectives } from './process-directives.js';
import { PROXY_DIRECTIVE_CONTEXTS, PROXY_LEVEL_DIRECTIVES, proxySettings, readProxyLevel, TOP_PROXY_LEVEL, type ProxyLevel } from './proxy-directives.js';
import { parseProxyPass } from './proxy-pass.js';
import { ANSWER_DIRECTIVES, readAnswerLevel, readReturn, TOP_ANSWER_LEVEL, type AnswerLevel } from './return-directive.js';
import { conflictingServerNames, parseServerName, primaryServerName, type ServerName } from './server-names.js';
import {
  defaults,
  type GatewaySettings,
  type HealthCheckSettings,
  type ListenSettings,
  type LocationSettings,
  type ReturnSettings,
  type ServerSettings,
  type SessionSettings,
  type UpstreamSettings,
} from './settings.js';
import { parseSize, parseTimeMs } from './units.js';
import { blockScope, httpScope, REQUEST_ID_HEADER } from './unsupported-directives.js';
import { checkVariables, collectDefinedVariables } from './variables.js';
import { defaultAccessLogs, LOG_DIRECTIVE_CONTEXTS, readAccessLogs, readLogFormats, type AccessLogTarget, type LogContext } from './log-directives.js';
import { attributeBudget, MIN_ATTRIBUTE_BUDGET } from '../session/header-jwt.js';

/**
 * AST → GatewaySettings with nginx's meaning. Inheritance is nginx's: `proxy_*` (proxy-directives.ts), `add_header`
 * and `client_max_body_size` flow http → server → location (→ nested location); a level that has any of a list
 * directive replaces the inherited list instead of adding to it. Like nginx, a level's values do not depend on where
 * in the block they are written (but for `proxy_redirect default`, which nginx wants after proxy_pass).
 * Every problem is collected (`file:line: message`, sorted by position); settings are null when there is any.
 * Directives nginx has but the gateway does not use are listed once each in `ignored`.
 */

interface Inherited extends ProxyLevel {
  clientMaxBodyBytes: number;
  clientBodyTimeoutMs: number;
  clientHeaderTimeoutMs: number;
  access: AccessLevel;
  /** `default_type` and the redirect flags, for the answers the gateway writes. */
  answer: AnswerLevel;
  /** access_log of this level, and what it is read against (log-directives.ts). */
  accessLog: AccessLogTarget[];
  logs: LogContext;
}

const INHERITED_DIRECTIVES = new Set([...PROXY_LEVEL_DIRECTIVES, 'client_max_body_size', 'client_body_timeout', 'client_header_timeout']);

/** Directives we implement, and where nginx allows them; anything else is ignored. */
const ALLOWED: Record<string, ReadonlyArray<'main' | 'http' | 'server' | 'location' | 'upstream'>> = {
  http: ['main'], server: ['http', 'upstream'], upstream: ['http'], listen: ['server'], server_name: ['server'],
  location: ['server', 'location'], proxy_pass: ['location'], set: ['server', 'location'], keepalive: ['upstream'],
  return: ['server', 'location'], ...Object.fromEntries([...ANSWER_DIRECTIVES].map((n) => [n, ['http', 'server', 'location'] as const])),
  ...Object.fromEntries([...INHERITED_DIRECTIVES].map((n) => [n, ['http', 'server', 'location'] as const])),
  ...PROXY_DIRECTIVE_CONTEXTS,
  ...ACCESS_DIRECTIVES,
  ...LOG_DIRECTIVE_CONTEXTS,
  // nginx reads the request head before it knows the location: this one is http and server only.
  client_header_timeout: ['http', 'server'],
  // The process model (process-directives.ts). error_log is read in the main context only, ignored elsewhere.
  worker_processes: ['main'], worker_shutdown_timeout: ['main'], pid: ['main'], master_process: ['main'],
};

type Context = 'main' | 'http' | 'server' | 'location';

/** Reports a known directive used where nginx forbids it; ignores unknown ones. True when the caller should handle it. */
function allowedHere(d: Directive, ctx: Context, report: ConfigReport): boolean {
  const allowed = ALLOWED[d.name];
  if (!allowed) {
    report.ignore(d);
    return false;
  }
  if (!allowed.includes(ctx)) {
    report.problem(d, `"${d.name}" directive is not allowed here`);
    return false;
  }
  return true;
}

function applyInherited(block: Directive[], parent: Inherited, report: ConfigReport, locationPath: string | null = null): Inherited {
  const level: Inherited = { ...parent, ...readProxyLevel(block, parent, locationPath, report) };
  const seen = new Set<string>();
  for (const d of block) {
    if (!INHERITED_DIRECTIVES.has(d.name) || PROXY_LEVEL_DIRECTIVES.has(d.name) || !report.shape(d, false)) continue;
    if (seen.has(d.name)) {
      report.problem(d, `"${d.name}" directive is duplicate`);
      continue;
    }
    seen.add(d.name);
    if (!report.arity(d, 1)) continue;
    const value = d.args[0]!;
    if (d.name === 'client_max_body_size') {
      const n = parseSize(value);
      if (n === null) report.problem(d, `invalid size "${value}" in "client_max_body_size" directive`);
      else level.clientMaxBodyBytes = n;
    } else {
      const ms = parseTimeMs(value);
      const key = d.name === 'client_header_timeout' ? 'clientHeaderTimeoutMs' : 'clientBodyTimeoutMs';
      if (ms === null || ms === 0) report.problem(d, `invalid time "${value}" in "${d.name}" directive`);
      else level[key] = ms;
    }
  }
  level.access = readAccessLevel(block, parent.access, report);
  level.answer = readAnswerLevel(block, parent.answer, report);
  level.accessLog = readAccessLogs(block, parent.accessLog, parent.logs, report);
  return level;
}

interface Builder {
  report: ConfigReport;
  upstreams: Map<string, UpstreamSettings>;
  /** Explicit upstream names, fixed before any proxy_pass is read (an upstream may be written after the server). */
  explicit: ReadonlySet<string>;
  /** Which server block gave each upstream its health settings, for conflict messages. */
  healthFrom: Map<string, { source: string; health: HealthCheckSettings }>;
  accessFiles: AccessFiles;
}

export interface BuildResult {
  settings: GatewaySettings | null;
  problems: string[];
  ignored: string[];
}

export function buildSettings(directives: Directive[], file: string): BuildResult {
  const report = new ConfigReport();
  const https = directives.filter((d) => d.name === 'http');
  const http = https[0];
  const restoreScope = report.enterScope(httpScope(http));
  for (const d of directives) {
    if (d.name !== 'http' && d.name !== 'include' && !PROCESS_DIRECTIVES.has(d.name)) allowedHere(d, 'main', report);
  }
  const processSettings = readProcessDirectives(directives, report);
  checkVariables(directives, report);
  for (const extra of https.slice(1)) report.problem(extra, '"http" directive is duplicate');
  const accessFiles = new AccessFiles(file, report);
  const upstreams = new Map<string, UpstreamSettings>();
  const servers: ServerSettings[] = [];
  if (!http) report.problem({ file, line: 1 }, 'no "http" block: the gateway needs http { server { … } }');
  else if (report.shape(http, true) && report.arity(http, 0)) {
    const block = http.block ?? [];
    for (const d of block) {
      if (d.name !== 'upstream' || !allowedHere(d, 'http', report)) continue;
      const upstream = buildUpstream(d, report);
      if (!upstream) continue;
      if (upstreams.has(upstream.name)) report.problem(d, `duplicate upstream "${upstream.name}"`);
      else upstreams.set(upstream.name, upstream);
    }
    const b: Builder = { report, upstreams, explicit: new Set(upstreams.keys()), healthFrom: new Map(), accessFiles };
    const logs = logContextOf(block, directives, file, report);
    const inherited = applyInherited(block, {
      ...TOP_PROXY_LEVEL, clientMaxBodyBytes: defaults.clientMaxBodyBytes, clientBodyTimeoutMs: defaults.clientBodyTimeoutMs,
      clientHeaderTimeoutMs: defaults.clientHeaderTimeoutMs, access: TOP_ACCESS_LEVEL, answer: TOP_ANSWER_LEVEL, logs, accessLog: defaultAccessLogs(logs.formats),
    }, report);
    for (const d of block) {
      if (d.name === 'upstream' || ANSWER_DIRECTIVES.has(d.name) || INHERITED_DIRECTIVES.has(d.name) || !allowedHere(d, 'http', report)) continue;
      if (d.name === 'server' && report.shape(d, true) && report.arity(d, 0)) servers.push(buildServer(d, inherited, b));
    }
    // Only when none is written: a malformed one has been reported already.
    if (!block.some((d) => d.name === 'server')) report.problem(http, 'no "server" block inside "http"');
    checkDefaultServers(http.block ?? [], report);
    for (const [source, message] of conflictingServerNames(servers)) {
      const [file, line] = splitSource(source);
      report.note({ file, line }, message);
    }
  }
  restoreScope();
  accessFiles.check();
  const problems = sortByPosition(report.problems);
  const ignored = report.ignored;
  const settings = problems.length === 0 ? { servers, upstreams, ignored, overridden: report.overridden, file, process: processSettings } : null;
  return { settings, problems, ignored };
}

function logContextOf(http: Directive[], directives: Directive[], file: string, report: ConfigReport): LogContext {
  const defined = collectDefinedVariables(directives);
  return { formats: readLogFormats(http, defined, report), defined, mainFile: file };
}

function buildServer(d: Directive, parent: Inherited, b: Builder): ServerSettings {
  const { report } = b;
  const block = d.block ?? [];
  const restoreScope = report.enterScope(blockScope(block, report.scope, 'server', report));
  const inherited = applyInherited(block, parent, report);
  const session: SessionSettings = { ...defaults.session };
  const health: HealthCheckSettings = { ...defaults.health };
  const sets: Array<[string, string]> = [];
  const listen: ListenSettings[] = [];
  const serverNames: string[] = [];
  const names: ServerName[] = [];
  const locationBlocks: Directive[] = [];
  let serverReturn: ReturnSettings | null = null;
  let requestIdHeader: string | undefined;
  for (const c of block) {
    if (INHERITED_DIRECTIVES.has(c.name) || ANSWER_DIRECTIVES.has(c.name) || !allowedHere(c, 'server', report)) continue;
    if (c.name === 'location') locationBlocks.push(c);
    else if (c.name === 'return') serverReturn ??= readReturn(c, inherited.answer.defaultType, report);
    else if (c.name === 'server_name') {
      if (!report.shape(c, false) || !report.arity(c, 1, Infinity)) continue;
      for (const arg of c.args) {
        const parsed = parseServerName(arg);
        if (typeof parsed === 'string') report.problem(c, parsed);
        else names.push(...parsed);
        serverNames.push(arg);
      }
    } else if (c.name === 'listen') {
      const l = readListen(c, report);
      if (!l) continue;
      if (listen.some((x) => x.host === l.host && x.port === l.port)) report.problem(c, `duplicate listen ${formatListen(l)}`);
      else listen.push(l);
    } else if (c.name === 'set') {
      const v = readSet(c, report);
      if (!v) continue;
      sets.push([v.name.toLowerCase(), v.value]);
      const kind = variableKind(v.name);
      if (kind === 'session') applySessionVariable(c, v.name, v.value, session, report);
      else if (kind === 'health') applyHealthVariable(c, v.name, v.value, health, report);
      else if (v.name === REQUEST_ID_HEADER) requestIdHeader = readRequestIdHeader(c, v.value, report) ?? requestIdHeader;
    }
  }
  if (listen.length === 0) listen.push({ ...defaults.listen });
  const locations: LocationSettings[] = [];
  const paths = new Set<string>();
  for (const loc of locationBlocks) buildLocation(loc, null, inherited, session, sets, locations, paths, b);
  if (serverReturn) serverReturn.contentType = inherited.answer.defaultType;
  checkSessionLimits(locations, report);
  if (serverNames.length === 0) {
    // nginx's default server_name is "": the server a request without Host is for.
    serverNames.push('');
    names.push({ kind: 'exact', name: '' });
  }
  const server: ServerSettings = {
    listen, serverNames, names, serverName: primaryServerName(serverNames[0]!), locations, return: serverReturn, sets, redirect: inherited.answer.redirect, clientHeaderTimeoutMs: inherited.clientHeaderTimeoutMs,
    access: serverAccess(inherited.access, b.accessFiles), addHeaders: inherited.addHeaders, accessLog: inherited.accessLog, source: `${d.file}:${d.line}`,
  };
  if (requestIdHeader !== undefined) server.requestIdHeader = requestIdHeader;
  assignHealth(server, health, b);
  restoreScope();
  return server;
}

/** access_log inside the location's (first) limit_except block, over the location's own (nginx's merge). */
function limitExceptAccessLog(block: readonly Directive[], inherited: Inherited, report: ConfigReport): AccessLogTarget[] | null {
  const inner = block.find((c) => c.name === 'limit_except')?.block ?? [];
  if (!inner.some((c) => c.name === 'access_log')) return null;
  return readAccessLogs(inner, inherited.accessLog, inherited.logs, report);
}

function buildLocation(
  d: Directive, outer: LocationSettings | null, parent: Inherited, parentSession: SessionSettings,
  serverSets: Array<[string, string]>, out: LocationSettings[], paths: Set<string>, b: Builder,
): void {
  const { report } = b;
  const name = readLocationName(d, outer, report);
  if (!name) return;
  const { match, path } = name;
  const key = `${match} ${path}`;
  // Regular expressions are tried in order: nginx accepts the same one twice (the second is never reached).
  if (match !== 'regex' && paths.has(key)) report.problem(d, `duplicate location "${path}"`);
  paths.add(key);
  const block = d.block ?? [];
  const restoreScope = report.enterScope(blockScope(block, report.scope, 'location', report));
  const inherited = applyInherited(block, parent, report, path);
  const session: SessionSettings = { ...parentSession };
  const sets: Array<[string, string]> = [...serverSets];
  let proxyPass: Directive | null = null;
  let locationReturn: ReturnSettings | null = null;
  const nested: Directive[] = [];
  for (const c of block) {
    // Checked for its context first: the header-name rules and client_header_timeout are not location directives.
    if (!allowedHere(c, 'location', report) || INHERITED_DIRECTIVES.has(c.name) || ANSWER_DIRECTIVES.has(c.name)) continue;
    if (c.name === 'location') nested.push(c);
    // The first `return` ends the rewrite phase: a later one is never reached (nginx accepts it).
    else if (c.name === 'return') locationReturn ??= readReturn(c, inherited.answer.defaultType, report);
    else if (c.name === 'proxy_pass') {
      if (!report.shape(c, false) || !report.arity(c, 1)) continue;
      if (proxyPass) report.problem(c, '"proxy_pass" directive is duplicate');
      else proxyPass = c;
    } else if (c.name === 'set') {
      const v = readSet(c, report);
      if (!v) continue;
      sets.push([v.name.toLowerCase(), v.value]);
      const kind = variableKind(v.name);
      if (kind === 'session' && SERVER_ONLY_SESSION.has(v.name)) report.problem(c, `"$${v.name}" is allowed in "server" context only: it applies to every commit of the server's sessions`);
      else if (kind === 'session') applySessionVariable(c, v.name, v.value, session, report);
      else if (kind === 'health') report.problem(c, `"$${v.name}" is allowed in "server" context only: it applies to the upstreams the server proxies to`);
      else if (v.name === REQUEST_ID_HEADER) report.problem(c, `"$${v.name}" is allowed in "server" context only: the id is fixed before a location is chosen`);
    }
  }
  const location: LocationSettings = {
    ...name, nested: [], nestedIn: outer?.source ?? null, autoRedirect: false, return: locationReturn, sets, redirect: inherited.answer.redirect, proxy: null,
    clientMaxBodyBytes: inherited.clientMaxBodyBytes, clientBodyTimeoutMs: inherited.clientBodyTimeoutMs,
    session, access: locationAccess(block, inherited.access, b.accessFiles, report), addHeaders: inherited.addHeaders, accessLog: inherited.accessLog,
    source: `${d.file}:${d.line}`,
  };
  const limitExceptLogs = limitExceptAccessLog(block, inherited, report);
  if (limitExceptLogs) location.limitExceptAccessLog = limitExceptLogs;
  if (proxyPass) {
    const target = parseProxyPass(proxyPass.args[0]!, b.explicit);
    if (typeof target === 'string') report.problem(proxyPass, target);
    else if (match === 'regex' && target.uriPrefix !== null) {
      // nginx: there is no matched prefix a URI part could replace.
      report.problem(proxyPass, '"proxy_pass" cannot have URI part in location given by regular expression');
    } else {
      if (target.implicit && !b.upstreams.has(target.name)) b.upstreams.set(target.name, implicitUpstream(target.name, target.implicit, location.source));
      location.proxy = proxySettings(inherited, target.name, proxyPass.args[0]!, target.uriPrefix, path);
      // ngx_http_proxy_pass: a name ending in "/" answers the name without it with a 301 to it.
      location.autoRedirect = match !== 'regex' && path.endsWith('/');
    }
  }
  out.push(location);
  outer?.nested.push(location);
  // nginx does not inherit proxy_pass into nested locations; everything else flows down.
  for (const n of nested) buildLocation(n, location, inherited, session, serverSets, out, paths, b);
  restoreScope();
}

function implicitUpstream(name: string, addr: { host: string; port: number }, source: string): UpstreamSettings {
  return {
    name,
    servers: [{ name, host: addr.host, port: addr.port, weight: defaults.server.weight, maxFails: defaults.server.maxFails,
      failTimeoutMs: defaults.server.failTimeoutMs, backup: false, down: false, maxConns: 0 }],
    keepalive: defaults.upstream.keepalive,
    keepaliveTimeoutMs: defaults.upstream.keepaliveTimeoutMs,
    health: { ...defaults.health },
    source,
  };
}

/** A server's `$health_*` values go to every upstream its locations use; two servers must not disagree. */
function assignHealth(server: ServerSettings, health: HealthCheckSettings, b: Builder): void {
  const used = new Set(server.locations.flatMap((l) => (l.proxy ? [l.proxy.upstream] : [])));
  for (const name of used) {
    const upstream = b.upstreams.get(name);
    if (!upstream) continue;
    const earlier = b.healthFrom.get(name);
    if (earlier && JSON.stringify(earlier.health) !== JSON.stringify(health)) {
      const [file, line] = splitSource(server.source);
      b.report.problem({ file, line }, `upstream "${name}" gets different health check settings here than from the server at ${earlier.source}`);
      continue;
    }
    b.healthFrom.set(name, { source: server.source, health });
    upstream.health = { ...health };
  }
}

function checkSessionLimits(locations: LocationSettings[], report: ConfigReport): void {
  for (const l of locations) {
    if (l.session.enabled && l.session.idleTimeoutMs > l.session.absoluteTimeoutMs) {
      const [file, line] = splitSource(l.source);
      report.problem({ file, line }, `"$session_idle_timeout" is longer than "$session_absolute_timeout" in location "${l.path}"`);
    }
    const budget = attributeBudget(l.session.maxBytes, l.session);
    if (l.session.enabled && budget < MIN_ATTRIBUTE_BUDGET) {
      const [file, line] = splitSource(l.source);
      report.problem({ file, line }, `"$session_max_bytes" ${l.session.maxBytes} is too small in location "${l.path}": the X-Session header's own claims leave ${Math.max(0, budget)} bytes for attributes and principal, at least ${MIN_ATTRIBUTE_BUDGET} are needed`);
    }
  }
}

function checkDefaultServers(block: Directive[], report: ConfigReport): void {
  const seen = new Map<string, string>();
  for (const d of block.filter((x) => x.name === 'server' && x.block)) {
    for (const l of (d.block ?? []).filter((x) => x.name === 'listen' && x.args.length > 0)) {
      if (!l.args.slice(1).some((a) => a === 'default_server' || a === 'default')) continue;
      const addr = parseAddress(l.args[0]!, { allowBarePort: true });
      if (typeof addr === 'string') continue;
      const key = formatListen(addr);
      if (seen.has(key)) report.problem(l, `a duplicate default server for ${key} (the first is at ${seen.get(key)})`);
      else seen.set(key, `${l.file}:${l.line}`);
    }
  }
}

/** Listen parameters nginx accepts that change nothing for the gateway. `ssl`, `http2` and `quic` are refused. */
const LISTEN_TOLERATED = /^(default_server|default|reuseport|deferred|bind|proxy_protocol|(backlog|rcvbuf|sndbuf|ipv6only|so_keepalive|fastopen|accept_filter|setfib)=.+)$/;

function readListen(d: Directive, report: ConfigReport): ListenSettings | null {
  if (!report.shape(d, false) || !report.arity(d, 1, Infinity)) return null;
  const addr = parseAddress(d.args[0]!, { allowBarePort: true });
  if (typeof addr === 'string') {
    report.problem(d, addr);
    return null;
  }
  for (const p of d.args.slice(1)) {
    if (p === 'ssl' || p === 'http2' || p === 'quic') report.problem(d, `"listen ... ${p}" is not supported by the gateway (terminate TLS in front of it)`);
    else if (!LISTEN_TOLERATED.test(p)) report.problem(d, `invalid parameter "${p}" in "listen" directive`);
  }
  return { host: addr.host, port: addr.port, defaultServer: d.args.slice(1).some((a) => a === 'default_server' || a === 'default') };
}

function formatListen(l: { host: string; port: number }): string {
  return `${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`;
}

function splitSource(source: string): [string, number] {
  const i = source.lastIndexOf(':');
  return [source.slice(0, i), Number(source.slice(i + 1))];
}
