import type { ConfigReport } from './config-report.js';
import type { Directive } from './parser.js';
import { defaults, type AddHeader, type NextUpstreamCondition, type ProxySettings, type RedirectRule } from './settings.js';
import { parseCount, parseTimeMs } from './units.js';

/**
 * The upstream-facing directives of the proxy module with nginx's inheritance (docs/architecture.md §17): each value
 * flows http → server → location; a list directive (`proxy_set_header`, `proxy_redirect`, `add_header`,
 * `proxy_hide_header`, `proxy_pass_header`) written at a level replaces the whole inherited list there, it never
 * adds to it. `proxy_redirect default` is the one whose place matters: nginx wants it after the block's proxy_pass.
 */

/** One level's values: a location's ProxySettings before its proxy_pass is known. */
export interface ProxyLevel extends Omit<ProxySettings, 'upstream' | 'uriPrefix' | 'redirects'> {
  /** null: no proxy_redirect here or above, which is `default` for each location's own proxy_pass. [] is `off`. */
  redirects: RedirectRule[] | null;
  addHeaders: AddHeader[];
  /** proxy_hide_header names only (nginx's defaults are added per location), and proxy_pass_header ones. */
  passHeaders: string[];
}

export const TOP_PROXY_LEVEL: ProxyLevel = {
  ...defaults.proxy, setHeaders: [], redirects: null, addHeaders: [], hideHeaders: [], passHeaders: [],
};

const LISTS = ['proxy_set_header', 'proxy_redirect', 'add_header', 'proxy_hide_header', 'proxy_pass_header'] as const;
const TIMES = { proxy_connect_timeout: 'connectTimeoutMs', proxy_read_timeout: 'readTimeoutMs', proxy_send_timeout: 'sendTimeoutMs' } as const;
const FLAGS = { underscores_in_headers: 'underscoresInHeaders', ignore_invalid_headers: 'ignoreInvalidHeaders' } as const;

export const PROXY_LEVEL_DIRECTIVES: ReadonlySet<string> = new Set([
  ...LISTS, ...Object.keys(TIMES), ...Object.keys(FLAGS), 'proxy_next_upstream', 'proxy_next_upstream_tries', 'proxy_next_upstream_timeout',
]);

/** Where nginx allows each: the header-name rules are read before a location is chosen. */
export const PROXY_DIRECTIVE_CONTEXTS: Record<string, ReadonlyArray<'http' | 'server' | 'location'>> = Object.fromEntries(
  [...PROXY_LEVEL_DIRECTIVES].map((n) => [n, n in FLAGS ? ['http', 'server'] : ['http', 'server', 'location']]),
);

const NEXT_UPSTREAM: ReadonlySet<string> = new Set<NextUpstreamCondition>([
  'error', 'timeout', 'invalid_header', 'http_500', 'http_502', 'http_503', 'http_504', 'http_403', 'http_404', 'http_429', 'non_idempotent', 'off',
]);

/** The values of one block's proxy directives over the parent's. */
export function readProxyLevel(block: Directive[], parent: ProxyLevel, locationPath: string | null, report: ConfigReport): ProxyLevel {
  const level: ProxyLevel = { ...parent };
  const lists = new Map<string, Directive[]>();
  const seen = new Set<string>();
  for (const d of block) {
    if (!PROXY_LEVEL_DIRECTIVES.has(d.name) || !report.shape(d, false)) continue;
    if ((LISTS as readonly string[]).includes(d.name)) {
      lists.set(d.name, [...(lists.get(d.name) ?? []), d]);
      continue;
    }
    if (seen.has(d.name)) {
      report.problem(d, `"${d.name}" directive is duplicate`);
      continue;
    }
    seen.add(d.name);
    readSingle(d, level, report);
  }
  const setHeaders = lists.get('proxy_set_header');
  if (setHeaders) level.setHeaders = setHeaders.filter((d) => report.arity(d, 2)).map((d) => [d.args[0]!, d.args[1]!]);
  const addHeaders = lists.get('add_header');
  if (addHeaders) level.addHeaders = addHeaders.flatMap((d) => readAddHeader(d, report));
  const hide = lists.get('proxy_hide_header');
  if (hide) level.hideHeaders = hide.filter((d) => report.arity(d, 1)).map((d) => d.args[0]!.toLowerCase());
  const pass = lists.get('proxy_pass_header');
  if (pass) level.passHeaders = pass.filter((d) => report.arity(d, 1)).map((d) => d.args[0]!.toLowerCase());
  const redirects = lists.get('proxy_redirect');
  if (redirects) level.redirects = readRedirects(redirects, block, locationPath, report);
  return level;
}

function readSingle(d: Directive, level: ProxyLevel, report: ConfigReport): void {
  if (d.name === 'proxy_next_upstream') {
    if (!report.arity(d, 1, Infinity)) return;
    const bad = d.args.filter((a) => !NEXT_UPSTREAM.has(a));
    if (bad.length > 0) report.problem(d, `invalid value "${bad[0]}" in "proxy_next_upstream" (nginx has: ${[...NEXT_UPSTREAM].join(', ')})`);
    // nginx lets `off` win over anything written with it.
    else level.nextUpstream = d.args.includes('off') ? ['off'] : (d.args as NextUpstreamCondition[]);
    return;
  }
  if (!report.arity(d, 1)) return;
  const value = d.args[0]!;
  if (d.name in FLAGS) {
    if (value !== 'on' && value !== 'off') report.problem(d, `invalid value "${value}" in "${d.name}" directive, it must be "on" or "off"`);
    else level[FLAGS[d.name as keyof typeof FLAGS]] = value === 'on';
  } else if (d.name === 'proxy_next_upstream_tries') {
    const n = parseCount(value);
    if (n === null) report.problem(d, `invalid number "${value}" in "proxy_next_upstream_tries" directive`);
    else level.nextUpstreamTries = n;
  } else {
    const ms = parseTimeMs(value);
    // A zero connect/read/send timeout would wait forever in the gateway's timers; nginx's 0 means the same.
    if (ms === null || (ms === 0 && d.name !== 'proxy_next_upstream_timeout')) report.problem(d, `invalid time "${value}" in "${d.name}" directive`);
    else if (d.name === 'proxy_next_upstream_timeout') level.nextUpstreamTimeoutMs = ms;
    else level[TIMES[d.name as keyof typeof TIMES]] = ms;
  }
}

function readAddHeader(d: Directive, report: ConfigReport): AddHeader[] {
  if (!report.arity(d, 2, 3)) return [];
  if (d.args.length === 3 && d.args[2] !== 'always') {
    report.problem(d, `invalid value "${d.args[2]}" in "add_header" directive`);
    return [];
  }
  return [{ name: d.args[0]!, value: d.args[1]!, always: d.args.length === 3 }];
}

/**
 * nginx's own rules for the directive: `off` alone, `default` after proxy_pass (it is resolved right there, so a
 * nested location that inherits it keeps the outer location's meaning), regexes that compile.
 */
function readRedirects(list: Directive[], block: Directive[], locationPath: string | null, report: ConfigReport): RedirectRule[] {
  const rules: RedirectRule[] = [];
  let off = false;
  for (const d of list) {
    if (!report.arity(d, 1, 2)) continue;
    const [from, to] = d.args as [string, string | undefined];
    const isOff = to === undefined && (from === 'off' || from === 'false');
    if (to === undefined && !isOff && from !== 'default') report.problem(d, `invalid parameter "${from}" in "proxy_redirect" directive`);
    else if (off || (isOff && rules.length > 0)) report.problem(d, '"proxy_redirect" directive is duplicate');
    else if (isOff) off = true;
    else if (to === undefined) {
      const proxyPass = block.find((c) => c.name === 'proxy_pass' && c.args.length === 1);
      if (!proxyPass || locationPath === null || block.indexOf(proxyPass) > block.indexOf(d)) report.problem(d, '"proxy_redirect default" should be placed after the "proxy_pass" directive');
      else rules.push(defaultRedirect(proxyPass.args[0]!, locationPath));
    } else rules.push(...readRule(d, from, to, report));
  }
  return off ? [] : rules;
}

/** `proxy_redirect default`: `URL LOCATION`, or `URL/ /` when the URL has no URI part. */
function defaultRedirect(url: string, locationPath: string): RedirectRule {
  const hasUri = url.indexOf('/', url.indexOf('://') + 3) !== -1;
  return hasUri ? { kind: 'prefix', from: url, to: locationPath } : { kind: 'prefix', from: `${url}/`, to: '/' };
}

function readRule(d: Directive, from: string, to: string, report: ConfigReport): RedirectRule[] {
  const regex = /^(~\*?)(.*)$/s.exec(from);
  if (!regex) return [{ kind: 'prefix', from, to }];
  const caseless = regex[1] === '~*';
  try {
    new RegExp(regex[2]!, caseless ? 'i' : '');
  } catch (err) {
    report.problem(d, `pattern "${regex[2]}" in "proxy_redirect" does not compile: ${(err as Error).message}`);
    return [];
  }
  return [{ kind: 'regex', pattern: regex[2]!, caseless, to }];
}

/** The ProxySettings of a location with `proxy_pass URL` (`url` as written: the implicit default is built from it). */
export function proxySettings(level: ProxyLevel, upstream: string, url: string, uriPrefix: string | null, locationPath: string): ProxySettings {
  const redirects = level.redirects ?? [defaultRedirect(url, locationPath)];
  const pass = new Set(level.passHeaders);
  const hideHeaders = [...new Set([...defaults.hiddenResponseHeaders, ...level.hideHeaders])].filter((n) => !pass.has(n));
  return {
    upstream, uriPrefix, setHeaders: level.setHeaders, redirects, hideHeaders,
    connectTimeoutMs: level.connectTimeoutMs, readTimeoutMs: level.readTimeoutMs, sendTimeoutMs: level.sendTimeoutMs,
    nextUpstream: level.nextUpstream, nextUpstreamTries: level.nextUpstreamTries, nextUpstreamTimeoutMs: level.nextUpstreamTimeoutMs,
    underscoresInHeaders: level.underscoresInHeaders, ignoreInvalidHeaders: level.ignoreInvalidHeaders,
  };
}
