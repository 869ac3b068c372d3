import type { IncomingMessage } from 'node:http';
import type { AccessControl, AccessRefusal } from '../access/access-control.js';
import type { AccessSettings } from '../access/access-settings.js';
import type { Logger } from '../log.js';

/**
 * The one hook of access control in the request path (plain requests and WebSocket upgrades alike): after the
 * location is chosen, before the session is loaded. Logs each refusal with its reason; the user name a client sent
 * may appear in the log line, a password never does (docs/architecture.md §16).
 */
export async function admitRequest(access: AccessControl, settings: AccessSettings, req: IncomingMessage, log: Logger): Promise<AccessRefusal | null> {
  const refusal = await access.check(req, settings);
  if (!refusal) return null;
  // A browser's first request carries no credentials: that is the normal start of a login, not an incident.
  const level = refusal.reason === 'no_credentials' || refusal.reason === 'internal' ? 'info' : refusal.status === 500 ? 'error' : 'warn';
  log[level]({
    event: 'access.refused', code: refusal.code, status: refusal.status, reason: refusal.reason, remote: req.socket.remoteAddress,
    method: req.method, url: req.url, ...(refusal.user !== undefined ? { user: refusal.user } : {}),
  }, `request refused (${refusal.reason})`);
  return refusal;
}

/** Response headers a refusal adds to the gateway's error answer. */
export function refusalHeaders(refusal: AccessRefusal): Record<string, string> {
  return refusal.challenge ? { 'www-authenticate': refusal.challenge } : {};
}
