import type { LocationSettings, ServerSettings } from '../config/settings.js';

/**
 * nginx location selection for the two kinds we support: an `=` exact match wins; otherwise the longest matching
 * prefix. Locations are pre-sorted once, so a request costs one map lookup and a short scan.
 */
export class LocationRouter {
  readonly #exact = new Map<string, LocationSettings>();
  readonly #prefixes: LocationSettings[];

  constructor(server: ServerSettings) {
    for (const loc of server.locations) if (loc.match === 'exact') this.#exact.set(loc.path, loc);
    this.#prefixes = server.locations.filter((l) => l.match === 'prefix').sort((a, b) => b.path.length - a.path.length);
  }

  match(url: string): LocationSettings | null {
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const exact = this.#exact.get(path);
    if (exact) return exact;
    for (const loc of this.#prefixes) if (path.startsWith(loc.path)) return loc;
    return null;
  }
}

/** The server block a request belongs to, among those sharing a listener: by Host, else the first (nginx default). */
export function selectServer<T extends { settings: ServerSettings }>(servers: readonly T[], hostHeader: string | undefined): T {
  if (servers.length > 1 && hostHeader) {
    const host = hostHeader.replace(/:\d+$/, '').toLowerCase();
    // Host names are case-insensitive (RFC 9110 §4.2.3); nginx compares server_name the same way.
    const found = servers.find((s) => s.settings.serverNames.some((name) => name.toLowerCase() === host));
    if (found) return found;
  }
  return servers[0]!;
}
