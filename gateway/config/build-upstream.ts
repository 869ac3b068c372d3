import { ConfigReport } from './config-report.js';
import { parseAddress } from './listen-address.js';
import type { Directive } from './parser.js';
import { defaults, type UpstreamServerSettings, type UpstreamSettings } from './settings.js';
import { parseCount, parseTimeMs } from './units.js';

/**
 * `upstream NAME { server ADDR [weight=N] [max_fails=N] [fail_timeout=T] [max_conns=N] [backup] [down]; keepalive N;
 * keepalive_timeout T; }` with nginx's meaning. Health-check settings are filled in later from the `server` blocks
 * that proxy to this upstream (nginx's `set` is not allowed inside `upstream`).
 */

/** Balancing and other upstream directives we do not implement: listed as ignored, not fatal. */
const UPSTREAM_KNOWN = new Set(['server', 'keepalive', 'keepalive_timeout']);

export function buildUpstream(d: Directive, report: ConfigReport): UpstreamSettings | null {
  if (!report.arity(d, 1) || !report.shape(d, true)) return null;
  const upstream: UpstreamSettings = {
    name: d.args[0]!,
    servers: [],
    keepalive: defaults.upstream.keepalive,
    keepaliveTimeoutMs: defaults.upstream.keepaliveTimeoutMs,
    health: { ...defaults.health },
    source: `${d.file}:${d.line}`,
  };
  const seen = new Set<string>();
  // An upstream whose server lines are all invalid has already been reported; "no servers" would only repeat it.
  let serverLines = 0;
  for (const child of d.block ?? []) {
    if (!UPSTREAM_KNOWN.has(child.name)) {
      if (child.name === 'upstream' || child.name === 'location' || child.name === 'listen') {
        report.problem(child, `"${child.name}" directive is not allowed here`);
      } else report.ignore(child);
      continue;
    }
    if (!report.shape(child, false)) continue;
    if (child.name === 'server') {
      serverLines += 1;
      const server = buildUpstreamServer(child, report);
      if (!server) continue;
      if (seen.has(server.name)) report.problem(child, `duplicate server "${server.name}" in upstream "${upstream.name}"`);
      seen.add(server.name);
      upstream.servers.push(server);
      continue;
    }
    if (!report.arity(child, 1)) continue;
    if (child.name === 'keepalive') {
      const n = parseCount(child.args[0]!);
      if (n === null || n < 1) report.problem(child, `invalid value "${child.args[0]}" in "keepalive" directive`);
      else upstream.keepalive = n;
    } else {
      const ms = parseTimeMs(child.args[0]!);
      if (ms === null) report.problem(child, `invalid time "${child.args[0]}" in "keepalive_timeout" directive`);
      else upstream.keepaliveTimeoutMs = ms;
    }
  }
  if (serverLines === 0) report.problem(d, `no servers are inside upstream "${upstream.name}"`);
  else if (upstream.servers.length > 0 && upstream.servers.every((s) => s.backup || s.down)) {
    report.problem(d, `upstream "${upstream.name}" has no primary server that is not down`);
  }
  return upstream;
}

export function buildUpstreamServer(d: Directive, report: ConfigReport): UpstreamServerSettings | null {
  if (d.args.length < 1) {
    report.arity(d, 1, Infinity);
    return null;
  }
  const addrText = d.args[0]!;
  const addr = parseAddress(addrText, { allowBarePort: false });
  if (typeof addr === 'string') {
    report.problem(d, addr);
    return null;
  }
  const server: UpstreamServerSettings = {
    name: addrText.includes(':') && !addrText.endsWith(']') ? addrText : `${addrText}:${addr.port}`,
    host: addr.host,
    port: addr.port,
    weight: defaults.server.weight,
    maxFails: defaults.server.maxFails,
    failTimeoutMs: defaults.server.failTimeoutMs,
    backup: false,
    down: false,
    maxConns: 0,
  };
  let ok = true;
  for (const param of d.args.slice(1)) {
    const eq = param.indexOf('=');
    const key = eq === -1 ? param : param.slice(0, eq);
    const value = eq === -1 ? null : param.slice(eq + 1);
    const invalid = (why: string): void => {
      report.problem(d, `invalid parameter "${param}": ${why}`);
      ok = false;
    };
    if (key === 'backup' && value === null) server.backup = true;
    else if (key === 'down' && value === null) server.down = true;
    else if (key === 'weight' && value !== null) {
      const n = parseCount(value);
      if (n === null || n < 1) invalid('weight must be an integer of at least 1');
      else server.weight = n;
    } else if (key === 'max_fails' && value !== null) {
      const n = parseCount(value);
      if (n === null) invalid('max_fails must be a non-negative integer');
      else server.maxFails = n;
    } else if (key === 'fail_timeout' && value !== null) {
      const ms = parseTimeMs(value);
      if (ms === null) invalid('fail_timeout must be a time such as 10s');
      else server.failTimeoutMs = ms;
    } else if (key === 'max_conns' && value !== null) {
      const n = parseCount(value);
      if (n === null) invalid('max_conns must be a non-negative integer (0 = unlimited)');
      else server.maxConns = n;
    } else invalid('unknown parameter');
  }
  return ok ? server : null;
}
