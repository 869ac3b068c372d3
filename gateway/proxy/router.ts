import type { LocationSettings, ServerSettings } from '../config/settings.js';
import { byteString } from './request-uri.js';

/**
 * nginx location selection for the two kinds we support: an `=` exact match wins; otherwise the longest matching
 * prefix. It is given `$uri`, the normalised path (request-uri.ts), never the raw request-target: what a location
 * guards cannot be reached around it with `..`, `%2e` or `//`. Locations are pre-sorted once, so a request costs one
 * map lookup and a short scan.
 */
export class LocationRouter {
  readonly #exact = new Map<string, LocationSettings>();
  readonly #prefixes: Array<{ path: string; location: LocationSettings }>;

  constructor(server: ServerSettings) {
    for (const loc of server.locations) if (loc.match === 'exact') this.#exact.set(byteString(loc.path), loc);
    this.#prefixes = server.locations
      .filter((l) => l.match === 'prefix')
      .map((l) => ({ path: byteString(l.path), location: l }))
      .sort((a, b) => b.path.length - a.path.length);
  }

  /** `uri` is `$uri`: decoded, normalised, without the query, one char per byte (request-uri.ts). */
  match(uri: string): LocationSettings | null {
    const exact = this.#exact.get(uri);
    if (exact) return exact;
    for (const p of this.#prefixes) if (uri.startsWith(p.path)) return p.location;
    return null;
  }
}
