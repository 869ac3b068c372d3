import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { AccessRules, AccessSettings, AddressRule, BasicAuthSettings, LimitExceptSettings } from '../access/access-settings.js';
import { parseHtpasswd } from '../access/htpasswd.js';
import { parseCidr } from '../access/ip-address.js';
import type { ConfigReport } from './config-report.js';
import type { Directive } from './parser.js';
import { parseTimeMs } from './units.js';

/**
 * nginx's access directives (ngx_http_access_module, ngx_http_auth_basic_module, and `satisfy`, `auth_delay`,
 * `internal`, `limit_except` of the core module) read level by level with nginx's inheritance: a level with any
 * allow/deny replaces the inherited list; `auth_basic` and `auth_basic_user_file` are inherited each on its own;
 * `internal` flows into nested locations, `limit_except` does not. Relative user files are resolved against the
 * main config file's directory, as nginx does (its conf prefix). docs/architecture.md §16.
 */

type Context = 'main' | 'http' | 'server' | 'location' | 'upstream';

/** Where nginx allows each one (`limit_except` blocks are read here, not by the builder). */
export const ACCESS_DIRECTIVES: Record<string, ReadonlyArray<Context>> = {
  allow: ['http', 'server', 'location'], deny: ['http', 'server', 'location'],
  auth_basic: ['http', 'server', 'location'], auth_basic_user_file: ['http', 'server', 'location'],
  satisfy: ['http', 'server', 'location'], auth_delay: ['http', 'server', 'location'],
  internal: ['location'], limit_except: ['location'],
};

/** What one level (http, server, location, limit_except) ends up with after inheritance. */
export interface AccessLevel {
  addressRules: AddressRule[] | null;
  realm: { value: string; at: Directive } | null;
  userFile: { path: string; at: Directive } | null;
  satisfy: 'all' | 'any';
  authDelayMs: number;
  internal: boolean;
}

export const TOP_ACCESS_LEVEL: AccessLevel = { addressRules: null, realm: null, userFile: null, satisfy: 'all', authDelayMs: 0, internal: false };

const LEVEL_NAMES = new Set(['allow', 'deny', 'auth_basic', 'auth_basic_user_file', 'satisfy', 'auth_delay', 'internal']);
const LIMIT_EXCEPT_NAMES = new Set(['allow', 'deny', 'auth_basic', 'auth_basic_user_file']);
/** ngx_methods_names: the methods limit_except accepts. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'MKCOL', 'COPY', 'MOVE', 'OPTIONS', 'PROPFIND', 'PROPPATCH', 'LOCK', 'UNLOCK', 'PATCH']);

/** One level's directives over its parent's. Reports malformed ones; the builder reports misplaced ones. */
export function readAccessLevel(block: Directive[], parent: AccessLevel, report: ConfigReport, names: ReadonlySet<string> = LEVEL_NAMES): AccessLevel {
  const level: AccessLevel = { ...parent };
  let rules: AddressRule[] | null = null;
  const seen = new Set<string>();
  for (const d of block) {
    if (!names.has(d.name) || !report.shape(d, false)) continue;
    if (d.name === 'internal') {
      if (!report.arity(d, 0)) continue;
    } else if (!report.arity(d, 1)) continue;
    const value = d.args[0] ?? '';
    if (d.name === 'allow' || d.name === 'deny') {
      const rule = readAddressRule(d, value, report);
      if (rule) (rules ??= []).push(rule);
      continue;
    }
    if (seen.has(d.name)) {
      report.problem(d, `"${d.name}" directive is duplicate`);
      continue;
    }
    seen.add(d.name);
    if (d.name === 'internal') level.internal = true;
    else if ((d.name === 'auth_basic' || d.name === 'auth_basic_user_file') && value.includes('$')) {
      report.problem(d, `variables in "${d.name}" are not supported ("${value}")`);
    } else if (d.name === 'auth_basic') level.realm = { value, at: d };
    else if (d.name === 'auth_basic_user_file') level.userFile = { path: value, at: d };
    else if (d.name === 'satisfy') {
      if (value === 'all' || value === 'any') level.satisfy = value;
      else report.problem(d, `invalid value "${value}" in "satisfy" directive, it must be "all" or "any"`);
    } else {
      const ms = parseTimeMs(value);
      if (ms === null) report.problem(d, `invalid value "${value}" in "auth_delay" directive`);
      else level.authDelayMs = ms;
    }
  }
  if (rules) level.addressRules = rules;
  return level;
}

function readAddressRule(d: Directive, value: string, report: ConfigReport): AddressRule | null {
  const action = d.name as 'allow' | 'deny';
  if (value === 'all') return { action, match: 'all', text: value };
  if (value === 'unix:') return { action, match: 'unix', text: value };
  const cidr = parseCidr(value);
  if (!cidr) {
    report.problem(d, `invalid parameter "${value}"`);
    return null;
  }
  if (cidr.lowBitsCleared) report.note(d, `low address bits of ${value} are meaningless (read as the network it is in, as nginx does)`);
  return { action, match: cidr, text: value };
}

/** Collects the user files in use (checked once each at the end) and reports each misconfigured auth_basic once. */
export class AccessFiles {
  readonly #configDir: string;
  readonly #report: ConfigReport;
  readonly #files = new Map<string, Directive>();
  readonly #reported = new Set<Directive>();

  constructor(mainFile: string, report: ConfigReport) {
    this.#configDir = dirname(mainFile);
    this.#report = report;
  }

  /** The basic auth a level ends up with: none when `off` or never set. `strict`: a realm without a file is a problem. */
  basicAuth(level: AccessLevel, strict = true): BasicAuthSettings | null {
    const { realm, userFile } = level;
    if (!realm || realm.value === 'off') return null;
    if (!userFile) {
      if (!strict) return null;
      // nginx silently asks for nothing then: a restriction that looks present and is not. Refuse the config instead.
      if (!this.#reported.has(realm.at)) {
        this.#reported.add(realm.at);
        this.#report.problem(realm.at, '"auth_basic" without an "auth_basic_user_file" (nginx would ask for no credentials): add the file, or write "auth_basic off;"');
      }
      return null;
    }
    const path = isAbsolute(userFile.path) ? userFile.path : join(this.#configDir, userFile.path);
    if (!this.#files.has(path)) this.#files.set(path, userFile.at);
    return { realm: realm.value, userFile: path, source: `${userFile.at.file}:${userFile.at.line}` };
  }

  /** Reads every user file in use: unreadable ones at their directive's line, unusable entries at their own line. */
  check(): void {
    for (const [path, at] of this.#files) {
      let text: string;
      try {
        text = readFileSync(path).toString('latin1');
      } catch (err) {
        this.#report.problem(at, `cannot read the "auth_basic_user_file" "${path}" (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        continue;
      }
      const parsed = parseHtpasswd(text);
      for (const p of parsed.problems) this.#report.problem({ file: path, line: p.line }, p.message);
      if (parsed.entries.size === 0 && parsed.problems.length === 0) this.#report.problem({ file: path, line: 1 }, 'the user file has no users: nobody could log in');
    }
  }

  /** Paths of the user files the settings use. */
  get paths(): string[] {
    return [...this.#files.keys()];
  }
}

/**
 * A server's own access settings (for requests that match no location). A realm whose file only its locations name
 * is no problem here: the server level reaches only requests that no location takes.
 */
export function serverAccess(level: AccessLevel, files: AccessFiles): AccessSettings {
  return finish(level, files, null, false);
}

/** A location's access settings: its level, plus its `limit_except` block when it has one. */
export function locationAccess(block: Directive[], level: AccessLevel, files: AccessFiles, report: ConfigReport): AccessSettings {
  let limitExcept: LimitExceptSettings | null = null;
  for (const d of block) {
    if (d.name !== 'limit_except' || !report.shape(d, true) || !report.arity(d, 1, Infinity)) continue;
    if (limitExcept) {
      report.problem(d, '"limit_except" directive is duplicate');
      continue;
    }
    limitExcept = readLimitExcept(d, level, files, report);
  }
  return finish(level, files, limitExcept);
}

function readLimitExcept(d: Directive, location: AccessLevel, files: AccessFiles, report: ConfigReport): LimitExceptSettings {
  const methods = new Set<string>();
  for (const arg of d.args) {
    const method = arg.toUpperCase();
    if (!METHODS.has(method)) report.problem(d, `invalid method "${arg}"`);
    methods.add(method);
    if (method === 'GET') methods.add('HEAD');
  }
  const block = d.block ?? [];
  for (const c of block) {
    // access_log there is read with the location's logs (build-settings.ts: LocationSettings.limitExceptAccessLog).
    if (LIMIT_EXCEPT_NAMES.has(c.name) || c.name === 'access_log') continue;
    else if (c.name === 'proxy_pass' || c.name === 'perl') report.problem(c, `"${c.name}" inside "limit_except" is not supported by the gateway`);
    else report.problem(c, `"${c.name}" directive is not allowed here`);
  }
  const level = readAccessLevel(block, location, report, LIMIT_EXCEPT_NAMES);
  return { methods: [...methods], addressRules: level.addressRules, basicAuth: files.basicAuth(level), source: `${d.file}:${d.line}` };
}

function finish(level: AccessLevel, files: AccessFiles, limitExcept: LimitExceptSettings | null, strict = true): AccessSettings {
  const rules: AccessRules = { addressRules: level.addressRules, basicAuth: files.basicAuth(level, strict) };
  const restricted = rules.addressRules !== null || rules.basicAuth !== null || level.internal || limitExcept !== null;
  return { ...rules, satisfy: level.satisfy, authDelayMs: level.authDelayMs, internal: level.internal, limitExcept, restricted };
}
