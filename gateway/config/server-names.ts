import { hostname } from 'node:os';
import { compilePcre } from './pcre-regex.js';

/**
 * `server_name` values with nginx's meaning (ngx_http_core_server_name, ngx_hash_add_key): an exact name, a leading
 * wildcard `*.example.com`, the special form `.example.com` (that name and every name under it), a trailing wildcard
 * `www.example.*`, or a regular expression `~…` (caseless, as nginx compiles it; its named groups become variables).
 * Names are compared lower-cased; the empty name `""` is the one a request without Host matches.
 */
export type ServerName =
  | { kind: 'exact'; name: string }
  /** `*.example.com` → suffix `.example.com`; `.example.com` → the same suffix plus the exact name. */
  | { kind: 'leading'; suffix: string }
  /** `www.example.*` → prefix `www.example.` */
  | { kind: 'trailing'; prefix: string }
  | { kind: 'regex'; source: string; regex: RegExp; names: string[] };

/** Parses one `server_name` argument; a string is the problem. */
export function parseServerName(text: string): ServerName[] | string {
  // nginx's one variable here: the machine's name.
  if (text === '$hostname') return [{ kind: 'exact', name: hostname().toLowerCase() }];
  if (text.startsWith('~')) {
    const compiled = compilePcre(text.slice(1), true);
    if (typeof compiled === 'string') return compiled;
    return [{ kind: 'regex', source: text.slice(1), ...compiled }];
  }
  const name = text.toLowerCase();
  const stars = name.split('*').length - 1;
  if (stars === 0 && !name.startsWith('.')) {
    if (/[\s/\\]/.test(name)) return `server name "${text}" has suspicious symbols`;
    return [{ kind: 'exact', name }];
  }
  if (stars === 0) return name.length > 1 ? [{ kind: 'exact', name: name.slice(1) }, { kind: 'leading', suffix: name }] : `invalid server name or wildcard "${text}"`;
  if (stars === 1 && name.startsWith('*.') && name.length > 2) return [{ kind: 'leading', suffix: name.slice(1) }];
  if (stars === 1 && name.endsWith('.*') && name.length > 2) return [{ kind: 'trailing', prefix: name.slice(0, -1) }];
  return `invalid server name or wildcard "${text}"`;
}

/** `$server_name`: the first name as written, lower-cased, without the leading dot of `.example.com`. */
export function primaryServerName(first: string): string {
  if (first === '$hostname') return hostname().toLowerCase();
  if (first.startsWith('~')) return first;
  const name = first.toLowerCase();
  return name.startsWith('.') ? name.slice(1) : name;
}

/** The key two servers on one address must not share: nginx keeps the first and warns "conflicting server name". */
function keyOf(name: ServerName): string | null {
  if (name.kind === 'exact') return `=${name.name}`;
  if (name.kind === 'leading') return `*${name.suffix}`;
  if (name.kind === 'trailing') return `${name.prefix}*`;
  return null;
}

/**
 * nginx's warning for a name a second server on the same address repeats (the first server keeps it), as
 * `[server source, message]` pairs.
 */
export function conflictingServerNames(servers: ReadonlyArray<{ listen: ReadonlyArray<{ host: string; port: number }>; names: readonly ServerName[]; serverNames: readonly string[]; source: string }>): Array<[string, string]> {
  const owners = new Map<string, string>();
  const out: Array<[string, string]> = [];
  for (const server of servers) {
    for (const l of server.listen) {
      const address = `${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`;
      for (const name of server.names) {
        const key = keyOf(name);
        if (key === null) continue;
        const owner = owners.get(`${address} ${key}`);
        if (owner === undefined) owners.set(`${address} ${key}`, server.source);
        else if (owner !== server.source) out.push([server.source, `conflicting server name "${key.replace(/^=/, '')}" on ${address}, ignored`]);
      }
    }
  }
  return out;
}
