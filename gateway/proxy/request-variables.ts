import type { IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import type { TLSSocket } from 'node:tls';
import type { ServerSettings } from '../config/settings.js';
import { compileTemplate, type Template } from '../config/variables.js';
import type { RequestHead } from './request-head.js';
import { requestIdOf } from './request-id.js';

/**
 * nginx's variables for one request, computed when first asked (docs/architecture.md §2). The names are checked at
 * config time (config/variables.ts); here each has nginx 1.22's value, as the differential suite shows:
 * `$host` lower case without port (request line, else Host, else `$server_name`), `$http_host` as sent, `$arg_NAME`
 * and `$cookie_NAME` the first of that name (compared caseless, value raw), `$http_NAME` the first such field
 * except Cookie (joined with "; ") and X-Forwarded-For (", "), `$uri` the normalised path, `$request_id` a fresh
 * 32-hex id.
 */
export interface VariableSources {
  req: IncomingMessage;
  head: RequestHead;
  server: ServerSettings;
  /** Groups of the regex location that matched; null when none did (then the server_name's count). */
  locationCaptures: Map<string, string> | null;
  /** `$proxy_host`: the upstream name or host:port of proxy_pass; '' outside a proxying location. */
  proxyHost?: string;
  /** `set $name value;` of the server, then of the location, in the order nginx runs them. */
  sets?: ReadonlyArray<readonly [name: string, value: string]>;
}

const templates = new Map<string, Template>();

/** Compiled once per distinct text (values were checked when the config was built). */
function templateOf(text: string): Template {
  let t = templates.get(text);
  if (!t) {
    const compiled = compileTemplate(text);
    t = typeof compiled === 'string' ? { parts: [{ literal: text }] } : compiled;
    templates.set(text, t);
  }
  return t;
}

function firstParam(list: string, name: string, separator: RegExp): string {
  for (const pair of list.split(separator)) {
    const eq = pair.indexOf('=');
    const key = (eq === -1 ? pair : pair.slice(0, eq)).trim();
    if (key.toLowerCase() === name) return eq === -1 ? '' : pair.slice(eq + 1).trim();
  }
  return '';
}

export class RequestVariables {
  readonly #s: VariableSources;

  constructor(sources: VariableSources) {
    this.#s = sources;
  }

  /** `$request_id`: 16 random bytes as hex, the same for the whole request (and in its error answer). */
  get requestId(): string {
    return requestIdOf(this.#s.req);
  }

  /** The value with every `$name` replaced. */
  expand(text: string): string {
    if (!text.includes('$')) return text;
    return this.#expandTemplate(templateOf(text), this.#s.sets?.length ?? 0);
  }

  get(name: string): string {
    return this.#get(name, this.#s.sets?.length ?? 0);
  }

  #expandTemplate(t: Template, setsBefore: number): string {
    let out = '';
    for (const part of t.parts) out += 'literal' in part ? part.literal : this.#get(part.variable, setsBefore);
    return out;
  }

  /** `setsBefore`: how many `set`s had run where the value is read (a `set` sees the values before it). */
  #get(name: string, setsBefore: number): string {
    const sets = this.#s.sets;
    if (sets) for (let i = setsBefore - 1; i >= 0; i--) if (sets[i]![0] === name) return this.#expandTemplate(templateOf(sets[i]![1]), i);
    const location = this.#s.locationCaptures;
    const server = this.#s.head.serverCaptures;
    // Most requests have no captures at all: nothing to look up then.
    if (location !== null || server !== null) {
      const digit = name.length === 1 && name >= '1' && name <= '9';
      const captured = (digit ? (location ?? server) : location?.has(name) ? location : server)?.get(name);
      if (captured !== undefined) return captured;
    }
    return this.#builtin(name);
  }

  #builtin(name: string): string {
    const { req, head, server } = this.#s;
    const socket = req.socket;
    switch (name) {
      case 'host': return head.host || server.serverName;
      case 'server_port': return String(socket.localPort ?? '');
      case 'server_addr': return socket.localAddress ?? '';
      case 'server_name': return server.serverName;
      case 'server_protocol': return `HTTP/${req.httpVersion}`;
      case 'remote_addr': return socket.remoteAddress ?? '';
      case 'remote_port': return String(socket.remotePort ?? '');
      case 'remote_user': return this.#remoteUser();
      case 'uri': case 'document_uri': return head.uri.uri;
      case 'args': case 'query_string': return head.uri.args;
      case 'is_args': return head.uri.args === '' ? '' : '?';
      case 'request_method': return req.method ?? '';
      case 'request_uri': return head.uri.unparsed;
      case 'request': return `${req.method ?? ''} ${req.url ?? ''} HTTP/${req.httpVersion}`;
      case 'scheme': return (socket as TLSSocket).encrypted ? 'https' : 'http';
      case 'https': return (socket as TLSSocket).encrypted ? 'on' : '';
      case 'request_id': return this.requestId;
      case 'content_type': return req.headers['content-type'] ?? '';
      case 'content_length': return req.headers['content-length'] ?? '';
      case 'proxy_host': return this.#s.proxyHost ?? '';
      case 'proxy_port': return /:(\d+)$/.exec(this.#s.proxyHost ?? '')?.[1] ?? (this.#s.proxyHost ? '80' : '');
      case 'proxy_add_x_forwarded_for': {
        const prior = this.#header('x_forwarded_for');
        return prior ? `${prior}, ${socket.remoteAddress ?? ''}` : (socket.remoteAddress ?? '');
      }
      case 'connection_upgrade': return req.headers.upgrade ? 'upgrade' : '';
      case 'hostname': return hostname();
      case 'pid': return String(process.pid);
      case 'msec': return (Date.now() / 1000).toFixed(3);
      case 'time_iso8601': return new Date().toISOString().replace(/\.\d{3}Z$/, '+00:00');
      case 'time_local': return timeLocal(new Date());
      default: return this.#family(name);
    }
  }

  #family(name: string): string {
    if (name.startsWith('http_')) return this.#header(name.slice(5));
    if (name.startsWith('arg_')) return firstParam(this.#s.head.uri.args, name.slice(4), /&/);
    if (name.startsWith('cookie_')) return firstParam(this.#header('cookie'), name.slice(7), /;/);
    return '';
  }

  /** `$http_NAME`: the first field with that name (`_` for `-`); Cookie and X-Forwarded-For are joined, as in 1.22. */
  #header(name: string): string {
    const raw = this.#s.req.rawHeaders;
    const values: string[] = [];
    for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase().replace(/-/g, '_') === name) values.push(raw[i + 1]!);
    if (name === 'cookie') return values.join('; ');
    if (name === 'x_forwarded_for') return values.join(', ');
    return values[0] ?? '';
  }

  #remoteUser(): string {
    const auth = this.#s.req.headers.authorization;
    const m = auth ? /^Basic\s+(\S+)$/i.exec(auth) : null;
    if (!m) return '';
    const decoded = Buffer.from(m[1]!, 'base64').toString('latin1');
    const colon = decoded.indexOf(':');
    return colon === -1 ? '' : decoded.slice(0, colon);
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `$time_local`: `01/Dec/2026:23:19:54 +0000`, in the process's time zone as nginx writes it. */
function timeLocal(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${pad(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}
