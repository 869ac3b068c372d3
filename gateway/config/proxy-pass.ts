import { parseAddress } from './listen-address.js';

/**
 * `proxy_pass http://NAME[/uri]` with nginx's meaning: NAME is an `upstream` block when one has that name; otherwise
 * `host:port` names a single server, and the builder makes an implicit one-server upstream called `host:port`.
 * A URI part (even just `/`) replaces the matched location prefix; without one the request URI passes unchanged.
 * Unlike nginx we do not resolve host names at start-up (nginx would, with DNS): a bare NAME without a port must be an
 * upstream, an IP address or `localhost`.
 */
export interface ProxyPassTarget {
  /** The upstream name, or `host:port` for an implicit upstream. */
  name: string;
  /** Set when `name` is not an explicit upstream's: the single server of the implicit upstream. */
  implicit: { host: string; port: number } | null;
  uriPrefix: string | null;
}

const IP_OR_LOCALHOST = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]|localhost)$/;

export function parseProxyPass(url: string, upstreamNames: ReadonlySet<string>): ProxyPassTarget | string {
  if (url.includes('$')) return `variables in "proxy_pass" are not supported ("${url}")`;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url);
  if (!scheme) return `invalid URL prefix in "${url}"`;
  if (scheme[1]!.toLowerCase() === 'https') return `https upstreams are not supported yet ("${url}")`;
  if (scheme[1]!.toLowerCase() !== 'http') return `invalid URL prefix in "${url}"`;
  const rest = url.slice(scheme[0].length);
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const uriPrefix = slash === -1 ? null : rest.slice(slash);
  if (authority === '') return `no host in "${url}"`;
  if (upstreamNames.has(authority)) return { name: authority, implicit: null, uriPrefix };
  const addr = parseAddress(authority, { allowBarePort: false });
  if (typeof addr === 'string') return addr;
  const hasPort = /:\d+$/.test(authority);
  if (!hasPort && !IP_OR_LOCALHOST.test(authority)) return `unknown upstream "${authority}" in "proxy_pass"`;
  const name = hasPort ? authority : `${authority}:80`;
  if (upstreamNames.has(name)) return { name, implicit: null, uriPrefix };
  return { name, implicit: addr, uriPrefix };
}
