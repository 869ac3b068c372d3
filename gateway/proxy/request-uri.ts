/**
 * The request-target as nginx 1.22 understands it (ngx_http_parse_complex_uri, merge_slashes on): `$uri` is the path
 * with every %XX decoded, `.` and `..` segments resolved and `//` merged, and it is what `location`s are matched
 * against, so `/api/../x`, `/api/%2e%2e/x` and `/api/..%2fx` are all `/x` (docs/architecture.md §2). A path that climbs
 * above `/`, a bad %-escape or a decoded NUL make the request invalid (400), as in nginx.
 *
 * Strings here are byte strings: one char per byte (latin1), which is how Node hands over the request line, so a
 * decoded `%FF` is the byte 0xFF and nothing is reinterpreted as UTF-8 on the way.
 */
export interface RequestUri {
  /** `$uri`: decoded and normalised path. */
  uri: string;
  /** `$args`: the raw query string after `?` (fragment removed), '' when there is none. */
  args: string;
  /** `$request_uri`: the path and query as the client sent them (for an absolute-form target, from the path on). */
  unparsed: string;
  /** Something was %-decoded (nginx's quoted_uri): a rewritten path forwarded to a backend is escaped again. */
  quoted: boolean;
  /** The host of an absolute-form target (`GET http://host/path`), which nginx prefers over the Host header. */
  host: string | null;
}

const enum State {
  Usual,
  Slash,
  Dot,
  DotDot,
}

function hexValue(ch: number): number {
  if (ch >= 0x30 && ch <= 0x39) return ch - 0x30;
  const c = ch | 0x20;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/**
 * Normalise a path that starts with `/`. Returns null for what nginx answers with 400. `?` ends the path and starts
 * the arguments; `#` ends both (a fragment never belongs to the request).
 */
export function normalizePath(target: string): { uri: string; args: string; quoted: boolean } | null {
  return alreadyNormal(target) ?? normalizePathFully(target);
}

/**
 * Most request paths need no work: no %-escape, no `//`, no segment starting with `.`. Those are their own `$uri`
 * (the path up to `?` or `#`); anything else, or a doubt, goes through the full state machine.
 */
function alreadyNormal(target: string): { uri: string; args: string; quoted: boolean } | null {
  const n = target.length;
  let end = n;
  for (let i = 0; i < n; i++) {
    const ch = target.charCodeAt(i);
    if (ch === 0x25) return null;
    if (ch === 0x2f) {
      const next = target.charCodeAt(i + 1);
      if (next === 0x2f || next === 0x2e) return null;
    } else if (ch === 0x3f || ch === 0x23) {
      end = i;
      break;
    }
  }
  let args = '';
  if (end < n && target.charCodeAt(end) === 0x3f) {
    const hash = target.indexOf('#', end + 1);
    args = hash === -1 ? target.slice(end + 1) : target.slice(end + 1, hash);
  }
  return { uri: end === n ? target : target.slice(0, end), args, quoted: false };
}

/** The full state machine alone (normalizePath without its shortcut; tests hold the two to the same answers). */
export function normalizePathFully(target: string): { uri: string; args: string; quoted: boolean } | null {
  const out: number[] = [];
  let state = State.Usual;
  let quoted = false;
  let argsStart = -1;
  let i = 0;
  const n = target.length;
  // Resolves the "/.." that ends `out`, as nginx's "u -= 4" and scan back to the previous slash; false when that
  // would climb above the root.
  const climb = (): boolean => {
    for (let p = out.length - 4; p >= 0; p--) {
      if (out[p] === 0x2f) {
        out.length = p + 1;
        return true;
      }
    }
    return false;
  };
  while (i < n) {
    let ch = target.charCodeAt(i++);
    if (ch === 0x25) {
      // A %XX is decoded and the result goes through the state it interrupted, as nginx's sw_quoted_second does;
      // except a decoded `%`, `#` or `?`, which are plain data (they must not become syntax).
      quoted = true;
      const hi = i < n ? hexValue(target.charCodeAt(i)) : -1;
      const lo = i + 1 < n ? hexValue(target.charCodeAt(i + 1)) : -1;
      if (hi < 0 || lo < 0) return null;
      i += 2;
      ch = (hi << 4) | lo;
      if (ch === 0) return null;
      if (ch === 0x25 || ch === 0x23 || ch === 0x3f) {
        out.push(ch);
        state = State.Usual;
        continue;
      }
    } else if (ch === 0x3f || ch === 0x23) {
      // `?` starts the arguments, `#` a fragment: either ends the path (a pending dot segment is resolved below).
      if (ch === 0x3f) argsStart = i;
      break;
    }
    if (ch === 0x2f) {
      // merge_slashes on; "/./" → "/"; "/x/../" → "/"
      if (state === State.Dot) out.length -= 1;
      else if (state === State.DotDot) {
        if (!climb()) return null;
      } else if (state !== State.Slash) out.push(ch);
      state = State.Slash;
      continue;
    }
    if (ch === 0x2e && (state === State.Slash || state === State.Dot)) state = state === State.Slash ? State.Dot : State.DotDot;
    else state = State.Usual;
    out.push(ch);
  }
  if (state === State.Dot) out.length -= 1;
  else if (state === State.DotDot && !climb()) return null;
  let args = '';
  if (argsStart !== -1) {
    const hash = target.indexOf('#', argsStart);
    args = hash === -1 ? target.slice(argsStart) : target.slice(argsStart, hash);
  }
  return { uri: Buffer.from(out).toString('latin1'), args, quoted };
}

const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s;

/**
 * Parse the request-target of a request line: origin-form (`/path?query`) or absolute-form (`http://host/path`).
 * Anything else (`*`, an authority alone) is not a request nginx serves: null, which is a 400.
 */
export function parseRequestUri(target: string): RequestUri | null {
  let host: string | null = null;
  let path = target;
  if (!target.startsWith('/')) {
    const m = ABSOLUTE.exec(target);
    if (!m) return null;
    host = m[2]!.replace(/^[^@]*@/, '');
    path = m[3]!;
    if (!path.startsWith('/')) path = `/${path}`;
  }
  // One pass over the target: no control character anywhere, and whether the path is already its own `$uri` (the
  // test alreadyNormal makes; the full state machine takes any other). One object per request, in one shape.
  const n = path.length;
  let end = n;
  let plain = true;
  for (let i = 0; i < n; i++) {
    const c = path.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return null;
    if (end !== n || !plain) continue;
    if (c === 0x25) plain = false;
    else if (c === 0x2f) {
      const next = path.charCodeAt(i + 1);
      if (next === 0x2f || next === 0x2e) plain = false;
    } else if (c === 0x3f || c === 0x23) end = i;
  }
  if (!plain) {
    const normal = normalizePathFully(path);
    return normal && { uri: normal.uri, args: normal.args, quoted: normal.quoted, unparsed: path, host };
  }
  let args = '';
  if (end < n && path.charCodeAt(end) === 0x3f) {
    const hash = path.indexOf('#', end + 1);
    args = hash === -1 ? path.slice(end + 1) : path.slice(end + 1, hash);
  }
  return { uri: end === n ? path : path.slice(0, end), args, quoted: false, unparsed: path, host };
}

/** nginx's ngx_escape_uri(…, NGX_ESCAPE_URI): what must be %-escaped in a path it forwards after decoding it. */
function mustEscape(ch: number): boolean {
  if (ch <= 0x20 || ch >= 0x7f) return true;
  // `"`, `#`, `%`, `<`, `>`, `?`, `\`, `^`, `` ` ``, `{`, `|`, `}`
  return ch === 0x22 || ch === 0x23 || ch === 0x25 || ch === 0x3c || ch === 0x3e || ch === 0x3f || ch === 0x5c || ch === 0x5e || ch === 0x60 || ch === 0x7b || ch === 0x7c || ch === 0x7d;
}

const HEX = '0123456789ABCDEF';

export function escapeUriPath(path: string): string {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path.charCodeAt(i);
    out += mustEscape(ch) ? `%${HEX[ch >> 4]}${HEX[ch & 15]}` : path[i];
  }
  return out;
}

/**
 * The request-target sent to a backend, as nginx's proxy module builds it: without a URI part in `proxy_pass`, the
 * client's own (`$request_uri`, unchanged); with one, the URI part replaces the location's prefix of the normalised
 * `$uri` — escaped again when the client's path had %-escapes — and the arguments follow.
 */
export function forwardedTarget(uri: RequestUri, locationPath: string, uriPrefix: string | null): string {
  if (uriPrefix === null) return uri.unparsed;
  const rest = uri.uri.slice(Math.min(locationPath.length, uri.uri.length));
  const path = byteString(uriPrefix) + (uri.quoted ? escapeUriPath(rest) : rest);
  return uri.args === '' ? path : `${path}?${uri.args}`;
}

/** Config text (UTF-8) in the byte-string form request URIs have here: what nginx compares, byte for byte. */
export function byteString(text: string): string {
  return /^[\x00-\x7f]*$/.test(text) ? text : Buffer.from(text, 'utf8').toString('latin1');
}
