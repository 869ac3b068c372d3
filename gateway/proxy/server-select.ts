import type { ServerSettings } from '../config/settings.js';
import { capturesOf } from '../config/pcre-regex.js';

/**
 * The server block a request is for, among those sharing one listen address, as nginx chooses it
 * (ngx_http_find_virtual_server): the exact name; else the longest leading wildcard (`*.example.com`,
 * `.example.com`); else the longest trailing wildcard (`www.example.*`); else the first regular expression that
 * matches, in config order; else the address's default server — the one whose `listen` says `default_server`, or
 * the first. A name written in two servers belongs to the first (nginx warns "conflicting server name").
 * The host is the validated one (request-head.ts): lower case, without port or trailing dot; '' without a Host.
 */
export interface ServerChoice<T> {
  server: T;
  /** `$1`…`$9` and named groups of a regex server_name that matched; null otherwise. */
  captures: Map<string, string> | null;
}

export class ServerIndex<T extends { settings: ServerSettings }> {
  readonly #exact = new Map<string, T>();
  /** Longest first; a name is found by `host.endsWith(suffix)`. */
  readonly #leading: Array<{ suffix: string; server: T }> = [];
  readonly #trailing: Array<{ prefix: string; server: T }> = [];
  readonly #regexes: Array<{ regex: RegExp; names: string[]; server: T }> = [];
  readonly #default: T;

  /** `key` is the listen address (`host:port`) the servers share, to find its default_server. */
  constructor(servers: readonly T[], key?: string) {
    for (const server of servers) {
      for (const name of server.settings.names) {
        if (name.kind === 'exact') {
          if (!this.#exact.has(name.name)) this.#exact.set(name.name, server);
        } else if (name.kind === 'leading') {
          if (!this.#leading.some((w) => w.suffix === name.suffix)) this.#leading.push({ suffix: name.suffix, server });
        } else if (name.kind === 'trailing') {
          if (!this.#trailing.some((w) => w.prefix === name.prefix)) this.#trailing.push({ prefix: name.prefix, server });
        } else this.#regexes.push({ regex: name.regex, names: name.names, server });
      }
    }
    // Stable sorts: among equally long wildcards the first written stays first.
    this.#leading.sort((a, b) => b.suffix.length - a.suffix.length);
    this.#trailing.sort((a, b) => b.prefix.length - a.prefix.length);
    // Without an address (the admin API's mint, which names only a host): a default_server of any address.
    const marked = servers.find((s) => s.settings.listen.some((l) => l.defaultServer && (key === undefined || `${l.host}:${l.port}` === key)));
    this.#default = marked ?? servers[0]!;
  }

  get defaultServer(): T {
    return this.#default;
  }

  select(host: string): ServerChoice<T> {
    const exact = this.#exact.get(host);
    if (exact) return this.#plain(exact);
    if (host !== '') {
      // `.example.com` also matches `example.com` itself: that is its exact entry, found above.
      const leading = this.#leading.find((w) => host.endsWith(w.suffix) && host.length > w.suffix.length);
      if (leading) return this.#plain(leading.server);
      const trailing = this.#trailing.find((w) => host.startsWith(w.prefix) && host.length > w.prefix.length);
      if (trailing) return this.#plain(trailing.server);
    }
    for (const r of this.#regexes) {
      const m = r.regex.exec(host);
      if (m) return { server: r.server, captures: capturesOf(m, r.names) };
    }
    return this.#plain(this.#default);
  }

  /** A choice without captures is the same for every request: one frozen object per server (select runs per request). */
  readonly #choices = new Map<T, ServerChoice<T>>();

  #plain(server: T): ServerChoice<T> {
    let choice = this.#choices.get(server);
    if (choice === undefined) {
      choice = Object.freeze({ server, captures: null });
      this.#choices.set(server, choice);
    }
    return choice;
  }
}
