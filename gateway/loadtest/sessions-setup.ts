import { randomBytes } from 'node:crypto';
import type { AdminClient } from '../cli/admin-client.js';
import type { Pools } from './exchange.js';
import { inTurns } from './in-turns.js';
import { LoadtestSetupError } from './loadtest-errors.js';
import type { ScenarioRequest } from './scenario.js';
import { VirtualUser } from './virtual-user.js';

/** How the virtual users are signed in: minted through the admin API, the app's own login, or not at all. */
export type LoginMode = { kind: 'mint'; attributes: Record<string, unknown> } | { kind: 'login'; request: ScenarioRequest; cookieName: string } | { kind: 'anonymous'; cookieName: string };

/** The admin API's `POST /api/sessions/mint` takes at most this many per call (session-minter.ts). */
const MINT_PER_CALL = 1_000;

interface MintReply {
  batch: string;
  cookieName: string;
  sessions: Array<{ principal: string; sid: string; cookie: string }>;
}

interface SessionList {
  sessions: Array<{ sid: string }>;
}

export function runId(): string {
  return randomBytes(3).toString('hex');
}

/** N users already signed in, minted in batches of up to 1,000 under one batch name (removed in one call later). */
export async function mintUsers(client: AdminClient, principals: string[], attributes: Record<string, unknown>, batch: string): Promise<VirtualUser[]> {
  const users: VirtualUser[] = [];
  for (let i = 0; i < principals.length; i += MINT_PER_CALL) {
    const slice = principals.slice(i, i + MINT_PER_CALL).map((principal) => ({ principal }));
    let reply: MintReply;
    try {
      reply = await client.post<MintReply>('/api/sessions/mint', { batch, attributes, sessions: slice });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code === 'SG_ADMIN_UNREACHABLE') throw err;
      const hint = e.code === 'SG_MINT_DISABLED' || e.code === 'SG_ADMIN_UNAUTHORIZED' ? ' (minting needs ADMIN_TOKEN on the gateway and --token here; or sign in with --login)' : '';
      throw new LoadtestSetupError(`minting ${principals.length} session(s) failed: ${e.message ?? String(err)} (${e.code ?? 'SG_ERROR'})${hint}`, { cause: err });
    }
    for (const s of reply.sessions) users.push(new VirtualUser({ index: users.length, principal: s.principal, sid: s.sid, cookieName: reply.cookieName, cookie: s.cookie }));
  }
  return users;
}

/** End the batch's sessions in one call; a failure is reported, not thrown (the load's result stands). */
export async function removeMinted(client: AdminClient, batch: string): Promise<{ removed: number; gone: number } | { error: string }> {
  try {
    const r = await client.delete<{ removed: number; gone: number }>(`/api/sessions/minted?batch=${encodeURIComponent(batch)}`);
    return { removed: r.removed, gone: r.gone };
  } catch (err) {
    return { error: `${(err as Error).message} (${(err as { code?: string }).code ?? 'SG_ERROR'})` };
  }
}

/**
 * Each user sends the app's own login request once (a few at a time). The session's sid is then looked up through
 * the admin API when it answers (the user's only session under its principal), so the integrity checks can ask for
 * it; without the admin API the cookie checks still apply.
 */
export async function loginUsers(principals: string[], mode: { request: ScenarioRequest; cookieName: string }, target: URL, pools: Pools, timeoutMs: number, client: AdminClient | null): Promise<VirtualUser[]> {
  const users = principals.map((principal, index) => new VirtualUser({ index, principal, cookieName: mode.cookieName }));
  const failures: string[] = [];
  await inTurns(users, 16, async (user) => {
    const sent = await user.send(mode.request, target, pools, timeoutMs, null, true);
    if (sent.kind !== 'ok') failures.push(`${user.principal}: ${mode.request.method} ${mode.request.path} answered ${sent.status ?? sent.error}`);
    else if (!user.jar.sessionCookie) failures.push(`${user.principal}: the login answered ${sent.status} without a ${mode.cookieName} cookie`);
  });
  if (failures.length > 0) throw new LoadtestSetupError(`${failures.length} of ${users.length} login(s) failed, e.g. ${failures.slice(0, 3).join('; ')}`);
  if (client) {
    await inTurns(users, 8, async (user) => {
      const list = await client.get<SessionList>(`/api/sessions?principal=${encodeURIComponent(user.principal!)}`).catch(() => null);
      if (list?.sessions.length === 1) user.sid = list.sessions[0]!.sid;
    });
  }
  return users;
}
