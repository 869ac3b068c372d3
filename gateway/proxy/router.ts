import type { LocationSettings, ServerSettings } from '../config/settings.js';
import { capturesOf } from '../config/pcre-regex.js';
import { byteString } from './request-uri.js';

/**
 * nginx's location selection (ngx_http_core_find_location), given `$uri`, the normalised path (request-uri.ts), never
 * the raw request-target: what a location guards cannot be reached around it with `..`, `%2e` or `//`.
 * At each level: an `=` location equal to the URI wins at once; otherwise the longest matching prefix is remembered
 * and its nested locations are searched the same way; then, unless that prefix is `^~`, the regular expressions of
 * the level are tried in config order and the first that matches wins (its nested locations searched in turn).
 * A URI that is a proxying location's name without its final "/" (and names no location itself) gets nginx's
 * auto-redirect: a 301 to the name, and no regex is tried (docs/architecture.md §2).
 */
export interface RouteMatch {
  location: LocationSettings;
  /** nginx's auto_redirect: answer 301 to the location's name instead of serving it. */
  redirect: boolean;
  /** `$1`…`$9` and the named groups of the regex location that matched; null when none did. */
  captures: Map<string, string> | null;
}

/**
 * A captureless answer is the same for every request that gets it: made once with the level (frozen, shared by the
 * requests), so a lookup allocates nothing unless a regex location matched.
 */
type Final = { kind: 'final'; match: RouteMatch };
type Prefix = { kind: 'prefix'; match: RouteMatch };

function answer<K extends 'final' | 'prefix'>(kind: K, location: LocationSettings, redirect: boolean): { kind: K; match: RouteMatch } {
  return Object.freeze({ kind, match: Object.freeze({ location, redirect, captures: null }) });
}

interface Level {
  exact: Map<string, Final>;
  /** Longest first. */
  prefixes: Array<{ path: string; location: LocationSettings; found: Prefix }>;
  /** Names of auto-redirecting locations without their final "/". */
  redirects: Map<string, Final>;
  /** Names of every exact and prefix location of the level: a URI naming one is never redirected. */
  names: Set<string>;
  regexes: LocationSettings[];
}

function levelOf(locations: readonly LocationSettings[], levels: Map<LocationSettings, Level>): Level {
  const level: Level = { exact: new Map(), prefixes: [], redirects: new Map(), names: new Set(), regexes: [] };
  for (const loc of locations) {
    levels.set(loc, levelOf(loc.nested, levels));
    if (loc.match === 'regex') {
      level.regexes.push(loc);
      continue;
    }
    const path = byteString(loc.path);
    level.names.add(path);
    if (loc.match === 'exact') level.exact.set(path, answer('final', loc, false));
    else level.prefixes.push({ path, location: loc, found: answer('prefix', loc, false) });
    // nginx prefers the exact location's settings when both `= /a/` and `/a/` are written.
    if (loc.autoRedirect && (loc.match === 'exact' || !level.redirects.has(path.slice(0, -1)))) level.redirects.set(path.slice(0, -1), answer('final', loc, true));
  }
  level.prefixes.sort((a, b) => b.path.length - a.path.length);
  return level;
}

type Found = { kind: 'final' | 'prefix'; match: RouteMatch } | null;

export class LocationRouter {
  readonly #top: Level;
  readonly #levels = new Map<LocationSettings, Level>();

  constructor(server: ServerSettings) {
    this.#top = levelOf(server.locations.filter((l) => l.nestedIn === null), this.#levels);
  }

  /** `uri` is `$uri`: decoded, normalised, without the query, one char per byte (request-uri.ts). */
  match(uri: string): LocationSettings | null {
    return this.route(uri)?.location ?? null;
  }

  route(uri: string): RouteMatch | null {
    const found = this.#find(this.#top, uri);
    return found?.match ?? null;
  }

  /** One level of ngx_http_core_find_location: 'final' is nginx's NGX_OK / NGX_DONE, 'prefix' its NGX_AGAIN. */
  #find(level: Level, uri: string): Found {
    const exact = level.exact.get(uri);
    if (exact) return exact;
    let found: Found = null;
    let noregex = false;
    const redirect = level.names.has(uri) ? undefined : level.redirects.get(uri);
    if (redirect) return redirect;
    const prefix = longestPrefix(level, uri);
    if (prefix) {
      noregex = prefix.location.noregex;
      const nested = this.#find(this.#levels.get(prefix.location)!, uri);
      if (nested?.kind === 'final') return nested;
      found = nested ?? prefix.found;
    }
    if (noregex) return found;
    for (const loc of level.regexes) {
      const m = loc.regex!.regex.exec(uri);
      if (!m) continue;
      const here: RouteMatch = { location: loc, redirect: false, captures: capturesOf(m, loc.regex!.names) };
      const nested = this.#find(this.#levels.get(loc)!, uri);
      // A nested location's own regex captures win; a nested prefix keeps this regex's.
      if (nested) return { kind: 'final', match: nested.match.captures ? nested.match : { ...nested.match, captures: here.captures } };
      return { kind: 'final', match: here };
    }
    return found;
  }
}

/** The level's longest prefix location `uri` starts with (prefixes are sorted longest first). */
function longestPrefix(level: Level, uri: string): Level['prefixes'][number] | undefined {
  const prefixes = level.prefixes;
  for (let i = 0; i < prefixes.length; i++) if (uri.startsWith(prefixes[i]!.path)) return prefixes[i];
  return undefined;
}
