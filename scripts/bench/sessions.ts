import { httpGet } from '../lib/net.js';
import type { SessionKind } from './scenarios.js';

/** `name=value` of the first cookie a response sets, or null. */
export function firstCookie(setCookie: string | string[] | undefined): string | null {
  const first = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  if (!first) return null;
  const pair = first.split(';', 1)[0]?.trim();
  return pair && pair.includes('=') ? pair : null;
}

export class SessionSetupError extends Error {
  readonly code = 'SG_BENCH_SESSION_SETUP';
}

/**
 * Logs `count` users in through a proxy (GET /login on the bench backend answers X-Session-Login) and, for
 * `filled`, grows each session to N bytes; returns their `Cookie` header values. Checks that a request with the
 * cookie reaches the backend with an X-Session header, so a "session" scenario never silently measures anonymous
 * traffic.
 */
export async function createSessions(port: number, count: number, kind: SessionKind, tag: string): Promise<string[]> {
  if (kind.kind === 'none') return [];
  const cookies: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const login = await httpGet(port, `/login?user=${encodeURIComponent(`${tag}-${i}`)}`);
    let cookie = firstCookie(login.headers['set-cookie']);
    if (login.status !== 200 || !cookie) throw new SessionSetupError(`login through port ${port} answered ${login.status} without a cookie (${login.body.slice(0, 200)})`);
    if (kind.kind === 'filled') {
      const fill = await httpGet(port, `/fill?bytes=${kind.bytes}`, { cookie });
      if (fill.status !== 200) throw new SessionSetupError(`filling a session to ${kind.bytes} bytes answered ${fill.status}: ${fill.body.slice(0, 200)}`);
      cookie = firstCookie(fill.headers['set-cookie']) ?? cookie;
    }
    cookies.push(cookie);
  }
  const probe = await httpGet(port, '/', { cookie: cookies[0] as string });
  if (probe.status !== 200 || probe.headers['x-bench-session'] !== '1') {
    throw new SessionSetupError(`a request with a session cookie reached the backend without X-Session (status ${probe.status})`);
  }
  return cookies;
}
