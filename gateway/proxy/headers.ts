import type { IncomingHttpHeaders } from 'node:http';
import type { RequestVariables } from './request-variables.js';

/**
 * Header rules of the proxy, each small and pure.
 * Hop-by-hop fields (RFC 9110 §7.6.1): Connection and every field it names, plus the fields listed below, are
 * meaningful for one connection only and are never forwarded, in either direction.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export function isHopByHop(name: string, connectionTokens: ReadonlySet<string>): boolean {
  return HOP_BY_HOP.has(name) || connectionTokens.has(name);
}

const NO_TOKENS: ReadonlySet<string> = new Set();
/** The token sets of one-token values (`keep-alive`, `close`, `upgrade`): on nearly every request, made once each. */
const SINGLE_TOKENS = new Map<string, ReadonlySet<string>>();
const SINGLE_TOKENS_MAX = 64;

export function connectionTokensOf(value: string | string[] | undefined): ReadonlySet<string> {
  if (value === undefined) return NO_TOKENS;
  if (typeof value === 'string' && !value.includes(',')) {
    let tokens = SINGLE_TOKENS.get(value);
    if (tokens === undefined) {
      const t = value.trim().toLowerCase();
      tokens = t ? new Set([t]) : NO_TOKENS;
      if (SINGLE_TOKENS.size < SINGLE_TOKENS_MAX) SINGLE_TOKENS.set(value, tokens);
    }
    return tokens;
  }
  const tokens = new Set<string>();
  for (const part of Array.isArray(value) ? value : [value]) {
    for (const token of part.split(',')) {
      const t = token.trim().toLowerCase();
      if (t) tokens.add(t);
    }
  }
  return tokens;
}

/** Every header a client sends whose name starts with `x-session` is the gateway's to set (contract). */
export function isSessionHeader(name: string): boolean {
  return name.length >= 9 && name.charCodeAt(0) === 120 /* x */ && name.startsWith('x-session');
}

/**
 * Remove one cookie from a Cookie header value, keeping the others byte for byte: the backend must never see the
 * session cookie (it is a bearer credential; the backend gets the non-secret `sid` in X-Session instead).
 */
export function withoutCookie(header: string, name: string): string | null {
  if (!header.includes(name)) return header;
  // One cookie alone (a browser with only the session cookie, on every request): no split, filter and join.
  if (!header.includes(';')) {
    const eq = header.indexOf('=');
    if ((eq === -1 ? header : header.slice(0, eq)).trim() === name) return null;
    const kept = header.trim();
    return kept === '' ? null : kept;
  }
  const kept = header
    .split(';')
    .filter((pair) => {
      const eq = pair.indexOf('=');
      return (eq === -1 ? pair : pair.slice(0, eq)).trim() !== name;
    })
    .map((pair) => pair.trim())
    .filter(Boolean);
  return kept.length > 0 ? kept.join('; ') : null;
}


export interface ForwardContext {
  remoteAddress: string;
  scheme: 'http' | 'https';
  host: string;
  requestId: string;
  /** `$proxy_host`: the upstream name or host:port of proxy_pass. */
  proxyHost: string;
  requestUri: string;
  /** nginx's variables of the request (request-variables.ts). */
  variables: RequestVariables;
}

/** Expand the nginx variables in a `proxy_set_header` value (names were checked with the config: config/variables.ts). */
export function expandVariables(value: string, ctx: ForwardContext, _headers: IncomingHttpHeaders): string {
  return ctx.variables.expand(value);
}
