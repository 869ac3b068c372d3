import type { ConfigReport } from './config-report.js';
import type { Directive } from './parser.js';
import { compilePcre } from './pcre-regex.js';

/**
 * nginx variables in directive values (`proxy_set_header Host $host:$server_port;`, `return 301 https://$host$request_uri;`):
 * the syntax nginx's script compiler reads (ngx_http_script_compile) and the names the gateway knows. As in
 * `nginx -t`, a name nobody defines fails the check (`unknown "name" variable`), and a name nginx has but the gateway
 * does not compute fails it too, instead of expanding to '' (docs/architecture.md §2). Evaluation per request is
 * gateway/proxy/request-variables.ts.
 */

export type TemplatePart = { literal: string } | { variable: string };

export interface Template {
  parts: TemplatePart[];
}

/** Variables the gateway computes for every request (request-variables.ts implements each). */
export const BUILTIN_VARIABLES: ReadonlySet<string> = new Set([
  'host', 'http_host', 'server_port', 'server_addr', 'server_name', 'server_protocol', 'remote_addr', 'remote_port',
  'remote_user', 'uri', 'document_uri', 'args', 'query_string', 'is_args', 'request_method', 'request_uri', 'request',
  'scheme', 'https', 'request_id', 'content_type', 'content_length', 'proxy_host', 'proxy_port',
  'proxy_add_x_forwarded_for', 'hostname', 'pid', 'msec', 'time_iso8601', 'time_local',
]);

/** Families of variables named after a request field, argument or cookie. */
export const VARIABLE_PREFIXES = ['http_', 'arg_', 'cookie_'] as const;

/** nginx variables the gateway does not compute: using one fails the check rather than sending ''. */
const NGINX_ONLY = /^(sent_http_|sent_trailer_|upstream_|cookie$|status$|body_bytes_sent$|bytes_sent$|request_time$|request_length$|request_body|connection|ssl_|realpath_root$|document_root$|limit_|invalid_referer$|secure_link|geoip_|gzip_ratio$|tcpinfo_|pipe$|nginx_version$|date_|fastcgi_|uwsgi_|scgi_|proxy_protocol_|jwt_|auth_|http2$|http3$|request_completion$|server_software$)/;

/** Splits a value into literals and variable names; a string is nginx's message for a malformed reference. */
export function compileTemplate(text: string): Template | string {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch !== '$') {
      literal += ch;
      i += 1;
      continue;
    }
    let name: string;
    if (text[i + 1] === '{') {
      const end = text.indexOf('}', i + 2);
      const inner = end === -1 ? null : text.slice(i + 2, end);
      if (inner === null || !/^[A-Za-z0-9_]+$/.test(inner)) return `the closing bracket in "${text.slice(i + 2).replace(/\}.*$/, '')}" variable is missing`;
      name = inner;
      i = end + 1;
    } else if (/[1-9]/.test(text[i + 1] ?? '')) {
      // ngx_http_script_compile: `$12` is capture 1 followed by "2".
      name = text[i + 1]!;
      i += 2;
    } else {
      const m = /^[A-Za-z0-9_]+/.exec(text.slice(i + 1));
      if (!m) return `invalid variable name in "${text}"`;
      name = m[0];
      i += 1 + name.length;
    }
    if (literal) parts.push({ literal });
    literal = '';
    parts.push({ variable: name.toLowerCase() });
  }
  if (literal) parts.push({ literal });
  return { parts };
}

/** The names a configuration defines itself: `set $x`, `map … $x`, named groups of its regexes. */
export class DefinedVariables {
  readonly #names = new Set<string>();
  /** Names defined by `map`, which the gateway does not evaluate, with where. */
  readonly #mapped = new Map<string, string>();

  define(name: string): void {
    this.#names.add(name.toLowerCase());
  }

  defineMapped(name: string, at: Directive): void {
    this.#mapped.set(name.toLowerCase(), `${at.file}:${at.line}`);
  }

  /** null when `name` may be used; else the problem, in nginx's words where nginx has them. */
  problemWith(name: string): string | null {
    if (/^[0-9]$/.test(name) || BUILTIN_VARIABLES.has(name) || this.#names.has(name)) return null;
    if (VARIABLE_PREFIXES.some((p) => name.startsWith(p) && name.length > p.length)) return null;
    // The WebSocket idiom: the gateway passes upgrades on itself (headers.ts), whatever the map says.
    if (name === 'connection_upgrade' && this.#mapped.has(name)) return null;
    const mapped = this.#mapped.get(name);
    if (mapped) return `variable "$${name}" comes from the "map" at ${mapped}, which the gateway does not evaluate`;
    if (NGINX_ONLY.test(name)) return `variable "$${name}" is not supported by the gateway here`;
    return `unknown "${name}" variable`;
  }
}

/** Named groups of a `location ~` or `server_name ~` pattern: nginx defines a variable for each. */
function namedGroupsOf(d: Directive): string[] {
  const patterns: string[] = [];
  if (d.name === 'server_name') patterns.push(...d.args.filter((a) => a.startsWith('~')).map((a) => a.slice(1)));
  if (d.name === 'location') {
    if (d.args.length === 2 && d.args[0]!.startsWith('~')) patterns.push(d.args[1]!);
    else if (d.args.length === 1 && d.args[0]!.startsWith('~')) patterns.push(d.args[0]!.replace(/^~\*?/, ''));
  }
  return patterns.flatMap((p) => {
    const compiled = compilePcre(p, false);
    return typeof compiled === 'string' ? [] : compiled.names;
  });
}

/** Walks a whole configuration for the variables it defines (nginx knows them all before it compiles any value). */
export function collectDefinedVariables(directives: readonly Directive[]): DefinedVariables {
  const defined = new DefinedVariables();
  const walk = (block: readonly Directive[]): void => {
    for (const d of block) {
      if (d.name === 'set' && d.args[0]?.startsWith('$')) defined.define(d.args[0].slice(1));
      if (d.name === 'map' && d.args[1]?.startsWith('$')) defined.defineMapped(d.args[1].slice(1), d);
      for (const name of namedGroupsOf(d)) defined.define(name);
      if (d.block) walk(d.block);
    }
  };
  walk(directives);
  return defined;
}

/** Arguments the gateway expands per request, by directive (index from the end when negative). */
const EXPANDED_ARGUMENTS: Record<string, (args: readonly string[]) => string[]> = {
  proxy_set_header: (args) => args.slice(1, 2),
  set: (args) => args.slice(1, 2),
  // `return code text` / `return URL`: the last argument, unless it is the code alone.
  return: (args) => (args.length === 2 || !/^\d+$/.test(args[0] ?? '') ? args.slice(-1) : []),
  add_header: (args) => args.slice(1, 2),
  // A `~` / `~*` FROM is a regular expression, not a value with variables.
  proxy_redirect: (args) => (args[0]?.startsWith('~') ? args.slice(1, 2) : args.slice(0, 2)),
};

/**
 * `nginx -t`'s variable check over a whole configuration: every value the gateway expands must name known variables
 * (checkTemplate). Each problem is reported at its directive.
 */
export function checkVariables(directives: readonly Directive[], report: ConfigReport): void {
  const defined = collectDefinedVariables(directives);
  const walk = (block: readonly Directive[]): void => {
    for (const d of block) {
      const expanded = EXPANDED_ARGUMENTS[d.name];
      if (expanded && d.block === null) for (const value of expanded(d.args)) checkTemplate(value, defined, (message) => report.problem(d, message));
      if (d.block) walk(d.block);
    }
  };
  walk(directives);
}

/** Every variable a value uses must be known: each problem goes to `problem`. */
export function checkTemplate(text: string, defined: DefinedVariables, problem: (message: string) => void): Template | null {
  const template = compileTemplate(text);
  if (typeof template === 'string') {
    problem(template);
    return null;
  }
  let ok = true;
  for (const part of template.parts) {
    if (!('variable' in part)) continue;
    const issue = defined.problemWith(part.variable);
    if (issue) {
      problem(issue);
      ok = false;
    }
  }
  return ok ? template : null;
}
