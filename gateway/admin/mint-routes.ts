import type { SessionSettings } from '../config/settings.js';
import { AdminOperationError } from '../errors.js';
import { LocationRouter } from '../proxy/router.js';
import { selectServer } from '../proxy/virtual-hosts.js';
import { MAX_MINT_PER_CALL, type MintSpec, type SessionMinter } from '../session/session-minter.js';
import type { AdminContext } from './admin-server.js';
import type { RouteTable } from './route-table.js';

/** The session settings of the location a request for `host` + `path` reaches: cookie name, scope, timeouts. */
export function mintSettingsFor(minter: SessionMinter, host: string, path: string): SessionSettings {
  const servers = minter.settings().servers.map((settings) => ({ settings }));
  if (servers.length === 0) throw new AdminOperationError('SG_ADMIN_BAD_REQUEST', 'the configuration has no server block', 400);
  const server = selectServer(servers, host.toLowerCase()).settings;
  const location = new LocationRouter(server).match(path);
  if (!location) throw new AdminOperationError('SG_ADMIN_BAD_REQUEST', `no location matches ${path}`, 400);
  if (!location.session.enabled) throw new AdminOperationError('SG_ADMIN_BAD_REQUEST', `the location for ${path} has "set $session off;"`, 400);
  return location.session;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function specOf(value: unknown, defaults: Record<string, unknown>, where: string): MintSpec {
  if (!isObject(value)) throw new AdminOperationError('SG_ADMIN_BAD_REQUEST', `${where} must be an object {principal, attributes}`, 400);
  if (typeof value.principal !== 'string' || value.principal === '') throw new AdminOperationError('SG_ADMIN_BAD_REQUEST', `${where}.principal must be a non-empty string`, 400);
  if (value.attributes !== undefined && !isObject(value.attributes)) throw new AdminOperationError('SG_ADMIN_BAD_REQUEST', `${where}.attributes must be an object`, 400);
  return { principal: value.principal, attributes: { ...defaults, ...(value.attributes as Record<string, unknown> | undefined) } };
}

/** `{principal, attributes}` for one session, or `{sessions: [{principal, attributes}, …], attributes}` for many. */
export function mintSpecsOf(body: Record<string, unknown>): MintSpec[] {
  if (body.attributes !== undefined && !isObject(body.attributes)) throw new AdminOperationError('SG_ADMIN_BAD_REQUEST', 'attributes must be an object', 400);
  const shared = (body.attributes as Record<string, unknown> | undefined) ?? {};
  if (body.sessions === undefined) return [specOf({ principal: body.principal, attributes: {} }, shared, 'the body')];
  if (body.principal !== undefined) throw new AdminOperationError('SG_ADMIN_BAD_REQUEST', 'give either principal or sessions, not both', 400);
  if (!Array.isArray(body.sessions) || body.sessions.length === 0 || body.sessions.length > MAX_MINT_PER_CALL) {
    throw new AdminOperationError('SG_ADMIN_BAD_REQUEST', `sessions must be an array of 1 to ${MAX_MINT_PER_CALL} {principal, attributes}`, 400);
  }
  return body.sessions.map((s, i) => specOf(s, shared, `sessions[${i}]`));
}

function optionalString(body: Record<string, unknown>, name: string, fallback: string): string {
  const value = body[name] ?? fallback;
  if (typeof value !== 'string') throw new AdminOperationError('SG_ADMIN_BAD_REQUEST', `${name} must be a string`, 400);
  return value;
}

/**
 * Logged-in sessions for load tests (docs/architecture.md §15), off unless ADMIN_TOKEN is set (403 SG_MINT_DISABLED):
 *   POST /api/sessions/mint {principal, attributes} | {sessions: [{principal, attributes}], attributes}
 *        [, batch, host, path] → {batch, cookieName, sessions: [{principal, sid, cookie}]}
 *   GET /api/sessions/minted → {batches: [{batch, count, createdAt}]}
 *   DELETE /api/sessions/minted[?batch=B] → {batches, removed, gone}
 * Registered before the session routes: `DELETE /api/sessions/:sid` would otherwise take `minted` for a sid.
 * Like every state-changing admin route, these are behind the bearer token and the browser guard.
 */
export function registerMintRoutes(routes: RouteTable, { minter, log }: AdminContext): void {
  routes.post('/api/sessions/mint', async (req) => {
    minter.requireEnabled();
    const body = await req.json();
    const specs = mintSpecsOf(body);
    const batch = minter.batchName(body.batch);
    const host = optionalString(body, 'host', '');
    const path = optionalString(body, 'path', '/');
    const settings = mintSettingsFor(minter, host, path);
    const sessions = [];
    // Sequential: one commit at a time keeps a large batch from starving the request path's store round trips.
    for (const spec of specs) sessions.push(await minter.mint(spec, settings, batch));
    log.info({ event: 'session.minted', batch, count: sessions.length }, `${sessions.length} session(s) minted in batch ${batch}`);
    return { json: { batch, cookieName: settings.cookieName, sessions } };
  });

  routes.get('/api/sessions/minted', () => ({ json: { batches: minter.batches() } }));

  routes.delete('/api/sessions/minted', async (req) => {
    const batch = req.query.get('batch');
    const result = await minter.removeBatch(batch === null || batch === '' ? null : batch);
    log.info({ event: 'session.minted_removed', ...result }, `minted sessions removed: ${result.removed} ended, ${result.gone} already gone`);
    return { json: result };
  });
}
