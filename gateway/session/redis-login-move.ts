import { StoreTimeoutError } from '../errors.js';
import type { Logger } from '../log.js';
import { bucketOfKey } from './key-placement.js';
import type { SessionCommands } from './redis-commands.js';
import type { RedisClient } from './redis-connection.js';
import { bucketPrefix } from './redis-keys.js';
import { splitHash } from './redis-replies.js';
import type { ReplicatedWrites } from './redis-replication.js';
import type { Reply } from './redis-write.js';
import type { ValueCodec } from './store-cipher-codec.js';
import { applyAttributeOps } from './store-rules.js';
import { encodedSize, type CommitRequest } from './store.js';

/**
 * The login that moves a session to its principal's bucket (redis-login-scripts.ts has the protocol): BEGIN in the
 * old bucket, LAND in the new one, FINISH (or ABORT) in the old one, each an exactly-once write. And what any
 * request does when it meets a session frozen by a move (`settleMove`): wait for a live mover, complete or undo the
 * move of a mover that died.
 */

export interface MoveContext {
  commands: SessionCommands;
  client: RedisClient;
  /** An exactly-once write in `bucket` under `token` (redis-write.ts), fenced in the same bucket. */
  write(bucket: number, token: string, operation: string, send: () => Promise<Reply>): Promise<Reply>;
  /** The principal as the store keeps it, and its index id. */
  principal(principal: string, handle: string): { stored: string; id: string };
  /** Values as the store keeps them (sealed with encryption at rest): the write-back applies to the clear ones. */
  codec: ValueCodec;
  log?: Logger | undefined;
  /** Where a landing goes when the login asks for replica acknowledgements (redis-replication.ts). */
  replicated: ReplicatedWrites;
}

/** A marker older than this belongs to a gateway that died mid-move: the next request completes or undoes it. */
export const MOVE_STALE_MS = 5_000;
const MOVE_POLL_MS = 20;

const sessionKey = (bucket: number, key: string): string => `${bucketPrefix(bucket)}s:${key}`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Move and log in. Returns LAND's reply ({'ok', …} or a refusal), or BEGIN's when there was nothing to move
 * ({'alias', key}, {'gone'}, {'moving', marker}) for the caller to follow.
 */
export async function moveLogin(ctx: MoveContext, request: CommitRequest & { key: string; newKey: string }): Promise<Reply> {
  const login = request.login!;
  const { key, newKey, token } = request;
  const from = bucketOfKey(key);
  const to = bucketOfKey(newKey);
  const graceMs = login.graceMs ?? 0;
  const marker = `${newKey} ${token} ${request.now} ${graceMs}`;
  const begin = await ctx.write(from, `${token}.b`, 'login', () => ctx.commands.sgMoveBegin(sessionKey(from, key),
    bucketPrefix(from), String(request.now), String(request.idleTimeoutMs), String(request.absoluteTimeoutMs), key, newKey, `${token}.b`, marker));
  if (begin[0] !== 'frozen') return begin;

  const undo = (): Promise<void> => abortMove(ctx, from, key, newKey, token);
  const { meta, fields } = splitHash(begin, 1);
  const applied = applyAttributeOps(ctx.codec.open(fields), request.ops);
  if ('notNumber' in applied) {
    await undo();
    return ['err', 'SG_WRITEBACK_NOT_NUMBER', applied.notNumber];
  }
  const size = encodedSize(applied.fields);
  if (size > request.maxBytes) {
    await undo();
    return ['err', 'SG_WRITEBACK_TOO_LARGE', String(size)];
  }
  const handle = meta.get('#h') ?? request.newHandle;
  const principal = ctx.principal(login.principal, handle);
  const args = [
    bucketPrefix(to), String(request.now), String(request.idleTimeoutMs), String(request.absoluteTimeoutMs), newKey, `${token}.l`,
    request.backend ?? meta.get('#b') ?? '', principal.stored, principal.id, String(login.maxPerPrincipal), login.onLimit,
    meta.get('#c') ?? String(request.now), handle, meta.get('#q') ?? '', String(size), String(applied.fields.size),
  ];
  for (const [field, value] of ctx.codec.seal(applied.fields)) args.push(field, value);
  let land: Reply;
  try {
    const landKey = sessionKey(to, newKey);
    const replication = request.replication;
    land = await ctx.write(to, `${token}.l`, 'login', replication && replication.replicas > 0
      ? () => ctx.replicated.write((pipeline) => void pipeline.sgMoveLand(landKey, ...args), replication, 'login')
      : () => ctx.commands.sgMoveLand(landKey, ...args));
  } catch (err) {
    // Not applied: unfreeze now. Not known: leave the marker; settleMove() will learn the outcome from the fence.
    if (!(err instanceof StoreTimeoutError)) await undo();
    throw err;
  }
  if (land[0] === 'err') {
    await undo();
    return land;
  }
  await finishMove(ctx, from, key, newKey, token, graceMs);
  return land;
}

/**
 * A commit or login met the session frozen by a move (`marker` = "newKey token since grace"). If the move landed,
 * finish it; if the mover is still within MOVE_STALE_MS, wait a moment; else fence its LAND and complete or undo it.
 * The caller then tries again (and finds the alias, or the session unfrozen).
 */
export async function settleMove(ctx: MoveContext, key: string, marker: string, now: number): Promise<void> {
  const [newKey = '', token = '', since = '0', grace = '0'] = marker.split(' ');
  const from = bucketOfKey(key);
  const to = bucketOfKey(newKey);
  if ((await ctx.client.exists(sessionKey(to, newKey))) === 1) {
    await finishMove(ctx, from, key, newKey, token, Number(grace));
    return;
  }
  if (now - Number(since) < MOVE_STALE_MS) {
    await sleep(MOVE_POLL_MS);
    return;
  }
  const fenced = await ctx.commands.sgResolve(`${bucketPrefix(to)}i:${token}.l`);
  ctx.log?.warn({ event: 'session.move_recovered', landed: fenced[0] === 'ok' }, 'a login that moved a session did not finish; completed by another request');
  if (fenced[0] === 'ok') await finishMove(ctx, from, key, newKey, token, Number(grace));
  else await abortMove(ctx, from, key, newKey, token);
}

/** Best effort: a failure leaves the marker, which settleMove() resolves for whoever comes next. */
async function finishMove(ctx: MoveContext, from: number, key: string, newKey: string, token: string, graceMs: number): Promise<void> {
  try {
    await ctx.commands.sgMoveFinish(sessionKey(from, key), bucketPrefix(from), key, newKey, token, String(graceMs));
  } catch (err) {
    ctx.log?.warn({ event: 'session.move_unfinished', cause: (err as Error).message }, 'could not drop the pre-login copy of a session yet; the next request does');
  }
}

async function abortMove(ctx: MoveContext, from: number, key: string, newKey: string, token: string): Promise<void> {
  try {
    await ctx.commands.sgMoveAbort(sessionKey(from, key), newKey, token);
  } catch (err) {
    ctx.log?.warn({ event: 'session.move_unfinished', cause: (err as Error).message }, 'could not unfreeze a session after a refused login yet; the next request does');
  }
}
