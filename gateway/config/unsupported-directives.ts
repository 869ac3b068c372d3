import type { ConfigReport } from './config-report.js';
import type { Directive } from './parser.js';

/**
 * nginx directives the gateway does not implement and that decide who may reach what: they refuse or limit requests,
 * change the client address the access rules see, or rewrite, redirect or answer a request instead of proxying it.
 * Ignoring one would open or reroute what the nginx config closed, so each makes `check` and start-up fail with its
 * `file:line`, unless the operator accepts running without it with `set $gateway_ignore_unsupported on;` (contract
 * name) in the server, or in the location, it applies to. Every other directive nginx has and the gateway does not
 * use (gzip, caching, buffers, logging, ...) changes nothing about who reaches what and stays "ignored".
 * The README lists the three groups; docs/architecture.md §16.
 */

const REFUSES = 'refuses requests';
const CONTENT = 'answers requests itself instead of proxying them';
const REALIP = 'replaces the client address that allow/deny see (realip)';
const SIGNED = 'refuses links without a valid signature ($secure_link)';
const JWT = 'requires a valid JSON Web Token';

const WHAT_IT_DOES: Record<string, string> = {
  auth_request: 'lets a subrequest decide whether each request is allowed',
  auth_jwt: JWT, auth_jwt_require: JWT,
  js_access: 'lets njs code decide whether each request is allowed',
  limit_req: `${REFUSES} over a rate`,
  limit_conn: `${REFUSES} over a number of connections`,
  limit_rate: 'throttles how fast responses are sent',
  limit_rate_after: 'throttles how fast responses are sent',
  max_ranges: 'limits the byte ranges a client may ask for',
  valid_referers: `${REFUSES} by their Referer ($invalid_referer)`,
  secure_link: SIGNED, secure_link_md5: SIGNED, secure_link_secret: SIGNED,
  set_real_ip_from: REALIP, real_ip_header: REALIP, real_ip_recursive: REALIP,
  rewrite: 'rewrites the request URI',
  if: 'rewrites or answers requests on a condition',
  break: 'ends the rewrite processing of a location',
  try_files: 'serves files or rewrites to a fallback URI',
  error_page: 'sends errors to another URI or status',
  fastcgi_pass: 'passes requests to a FastCGI server', uwsgi_pass: 'passes requests to a uwsgi server',
  scgi_pass: 'passes requests to an SCGI server', grpc_pass: 'passes requests to a gRPC server',
  memcached_pass: 'answers requests from memcached',
  empty_gif: CONTENT, stub_status: CONTENT, flv: CONTENT, mp4: CONTENT, perl: CONTENT, js_content: CONTENT,
  api: CONTENT, status: CONTENT, hls: CONTENT, f4f: CONTENT,
};

/** Only where nginx would serve files: a location without proxy_pass. */
const FILE_SERVING: Record<string, string> = {
  root: 'serves files from the file system here',
  alias: 'serves files from the file system here',
};

export interface DirectiveScope {
  /** `set $gateway_ignore_unsupported on;` applies to the block being read. */
  ignoreUnsupported: boolean;
  /** The block is a location without proxy_pass: nginx serves files there. */
  servesFiles: boolean;
}

export const TOP_SCOPE: DirectiveScope = { ignoreUnsupported: false, servesFiles: false };

/** What an unimplemented directive does in nginx when ignoring it would change who reaches what; else null. */
export function restrictingEffect(d: Directive, scope: DirectiveScope): string | null {
  if (d.name === 'dav_methods') return d.args.length === 1 && d.args[0] === 'off' ? null : 'lets clients change files (WebDAV)';
  if (scope.servesFiles && FILE_SERVING[d.name]) return FILE_SERVING[d.name]!;
  return WHAT_IT_DOES[d.name] ?? null;
}

/** Names every unsupported directive the README lists, for its test. */
export const UNSUPPORTED_DIRECTIVES: readonly string[] = [...Object.keys(WHAT_IT_DOES), ...Object.keys(FILE_SERVING), 'dav_methods'];

const FLAG = 'gateway_ignore_unsupported';
/** Read by build-settings.ts (server context); only its name is known here. */
export const REQUEST_ID_HEADER = 'gateway_request_id_header';

/** The value of `set $gateway_ignore_unsupported` in a block (server or location), validated; null when not set. */
export function ignoreFlagOf(block: Directive[], report?: ConfigReport): boolean | null {
  let flag: boolean | null = null;
  for (const d of block) {
    if (d.name !== 'set' || d.args.length !== 2 || !d.args[0]!.startsWith('$gateway_')) continue;
    const [name, value] = [d.args[0]!.slice(1), d.args[1]!];
    if (name === REQUEST_ID_HEADER) continue;
    if (name !== FLAG) report?.problem(d, `unknown gateway variable "${d.args[0]}" (known: $${FLAG}, $${REQUEST_ID_HEADER})`);
    else if (value !== 'on' && value !== 'off') report?.problem(d, `"$${FLAG}" must be "on" or "off", got "${value}"`);
    else flag = value === 'on';
  }
  return flag;
}

/** The scope of a server or location block inside `parent`. */
export function blockScope(block: Directive[], parent: DirectiveScope, kind: 'server' | 'location', report: ConfigReport): DirectiveScope {
  return {
    ignoreUnsupported: ignoreFlagOf(block, report) ?? parent.ignoreUnsupported,
    servesFiles: kind === 'location' && !block.some((d) => d.name === 'proxy_pass' || d.name === 'return'),
  };
}

/** http and main level directives apply to every server: ignored only when every server says so. */
export function httpScope(http: Directive | undefined): DirectiveScope {
  const servers = (http?.block ?? []).filter((d) => d.name === 'server' && d.block);
  return { ignoreUnsupported: servers.length > 0 && servers.every((s) => ignoreFlagOf(s.block!) === true), servesFiles: false };
}
