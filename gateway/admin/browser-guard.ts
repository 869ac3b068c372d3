import type { IncomingHttpHeaders } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { hostname } from 'node:os';
import { AdminOperationError } from '../errors.js';

/**
 * The admin API against the browser (docs/architecture.md §8). Its default is a loopback listener without a token,
 * which any page in a browser on the same machine can reach. Two checks keep those pages out:
 *
 * - Host: the listener answers only Hosts that name it. A DNS-rebinding page (attacker.example re-resolved to
 *   127.0.0.1) sends its own name as Host; IP literals, `localhost` (browsers resolve it to loopback themselves), the
 *   machine's own name, the ADMIN_LISTEN host and ADMIN_ALLOWED_HOSTS are accepted (as Vite and Django do).
 * - Cross-site state changes: a request that is not GET/HEAD/OPTIONS must not come from another origin (Fetch
 *   Metadata `Sec-Fetch-Site`, else `Origin`), and a POST, unless it carries a valid CSRF token, must have a body
 *   type no HTML form can send (`application/json`), which a cross-origin page can only send after a CORS preflight
 *   the API never grants (an old browser that sends neither header is stopped by that). The CLI, the rollout orchestrator and the dashboard send JSON; the CSRF hook is where a dashboard
 *   login with a cookie will plug its token in (a cookie is sent by browsers on their own, a JSON body is not enough
 *   there: the token is).
 */

export interface BrowserGuardOptions {
  /** The ADMIN_LISTEN host. */
  listenHost: string;
  /** ADMIN_ALLOWED_HOSTS: extra names; `.example.com` also matches its subdomains; `*` matches any Host. */
  allowedHosts: readonly string[];
  /** Verifies a CSRF token of the request (none yet: the dashboard login will supply one). */
  verifyCsrfToken?: (headers: IncomingHttpHeaders) => boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** Is this listen address a loopback one? Parsed, not prefix-matched: `127.0.0.1.example.com` is a name. */
export function isLoopback(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost') return true;
  const family = isIP(bare);
  if (family === 0) return false;
  return LOOPBACK.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

/** The host name of a Host header value (`name`, `name:port`, `[v6]:port`), lower-case, no trailing dot. */
export function hostNameOf(header: string): string | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+))(?::(\d{1,5}))?$/.exec(header.trim());
  if (!m) return null;
  if (m[1] !== undefined) return isIP(m[1]) === 6 ? m[1].toLowerCase() : null;
  return m[2]!.toLowerCase().replace(/\.$/, '');
}

export class AdminBrowserGuard {
  readonly #names: Set<string>;
  readonly #suffixes: string[];
  readonly #any: boolean;
  readonly #verifyCsrfToken: ((headers: IncomingHttpHeaders) => boolean) | null;

  constructor(options: BrowserGuardOptions) {
    const listen = hostNameOf(options.listenHost.includes(':') && !options.listenHost.startsWith('[') ? `[${options.listenHost}]` : options.listenHost);
    const configured = options.allowedHosts.map((h) => h.trim().toLowerCase().replace(/\.$/, '')).filter(Boolean);
    this.#any = configured.includes('*');
    this.#suffixes = configured.filter((h) => h.startsWith('.'));
    this.#names = new Set(['localhost', hostname().toLowerCase(), ...(listen ? [listen] : []), ...configured.filter((h) => !h.startsWith('.'))]);
    this.#verifyCsrfToken = options.verifyCsrfToken ?? null;
  }

  /** Does the Host header name this listener? A request without one (HTTP/1.0) is not from a browser. */
  hostAllowed(host: string | undefined): boolean {
    if (host === undefined || this.#any) return true;
    const name = hostNameOf(host);
    if (name === null) return false;
    if (isIP(name) !== 0 || this.#names.has(name) || name.endsWith('.localhost')) return true;
    return this.#suffixes.some((s) => name === s.slice(1) || name.endsWith(s));
  }

  /** Throws the 421 / 403 AdminOperationError a request gets, or returns when it may go on. */
  check(method: string, headers: IncomingHttpHeaders): void {
    if (!this.hostAllowed(headers.host)) {
      throw new AdminOperationError('SG_ADMIN_HOST_REFUSED', `Host "${String(headers.host).slice(0, 100)}" does not name the admin listener (add it to ADMIN_ALLOWED_HOSTS)`, 421);
    }
    if (SAFE_METHODS.has(method)) return;
    const refusal = this.#crossSiteRefusal(method, headers);
    if (refusal) throw new AdminOperationError('SG_ADMIN_CROSS_SITE', `${method} refused: ${refusal}`, 403);
  }

  #crossSiteRefusal(method: string, headers: IncomingHttpHeaders): string | null {
    const site = headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return `a ${site} request (Sec-Fetch-Site) may not change the gateway`;
    const origin = headers.origin;
    if (origin !== undefined && !sameOrigin(origin, headers.host)) return `a request from origin ${origin.slice(0, 100)} may not change the gateway`;
    // POST is the one state-changing method a page may send cross-origin without a CORS preflight (DELETE, PUT and
    // PATCH always get one, and the API never answers it): only its body type can tell a form from the API's clients.
    if (method !== 'POST' || this.#verifyCsrfToken?.(headers)) return null;
    if (!isJson(headers['content-type'])) return 'a POST needs Content-Type: application/json (no HTML form can send it cross-site)';
    return null;
  }
}

/** Origin `scheme://host[:port]` naming the same host and port as the Host header (the scheme may differ behind TLS). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined || origin === 'null') return false;
  try {
    const url = new URL(origin);
    const defaultPort = url.protocol === 'https:' ? '443' : '80';
    const hostPort = /:(\d+)$/.exec(host.replace(/^\[.*\]/, ''))?.[1] ?? defaultPort;
    return url.hostname.toLowerCase() === (hostNameOf(host)?.replace(/^(.*:.*)$/, '[$1]') ?? '') && (url.port || defaultPort) === hostPort;
  } catch {
    return false;
  }
}

function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.split(';')[0]!.trim().toLowerCase() === 'application/json';
}
