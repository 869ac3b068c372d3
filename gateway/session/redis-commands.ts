import { DESTROY_BY_HANDLE, DESTROY_BY_PRINCIPAL, DUE_BUCKETS, FIND_BY_HANDLE, GROUP_STATS, LIST_BY_PRINCIPAL, SWEEP_BUCKET, TAKE_SWEEP_LOCK } from './redis-admin-scripts.js';
import type { RedisClient } from './redis-connection.js';
import { MOVE_ABORT, MOVE_BEGIN, MOVE_FINISH, MOVE_LAND } from './redis-login-scripts.js';
import { COMMIT_SESSION, LOAD_SESSION, RESOLVE_COMMIT } from './redis-session-scripts.js';
import type { Reply } from './redis-write.js';

/**
 * The store's Lua scripts as ioredis commands (defineCommand: EVALSHA, with EVAL on a connection's first use and
 * after NOSCRIPT). Each takes one key — the one it routes by on a Cluster — and builds the rest of its bucket's
 * names from the bucket prefix it gets as its first argument.
 */
export interface SessionCommands {
  sgLoad(sessionKey: string, ...args: string[]): Promise<Reply>;
  sgCommit(sessionKey: string, ...args: string[]): Promise<Reply>;
  sgResolve(tokenKey: string): Promise<Reply>;
  sgMoveBegin(sessionKey: string, ...args: string[]): Promise<Reply>;
  sgMoveLand(sessionKey: string, ...args: string[]): Promise<Reply>;
  sgMoveFinish(sessionKey: string, ...args: string[]): Promise<Reply>;
  sgMoveAbort(sessionKey: string, newKey: string, token: string): Promise<number>;
  sgDestroyByHandle(handleIndexKey: string, prefix: string, handle: string): Promise<number>;
  sgListByPrincipal(principalKey: string, prefix: string, principalId: string, now: string): Promise<Reply[]>;
  sgDestroyByPrincipal(principalKey: string, prefix: string, principalId: string, now: string): Promise<string[]>;
  sgFindByHandle(handleIndexKey: string, prefix: string, handle: string, now: string): Promise<string[]>;
  sgTakeSweepLock(lockKey: string, owner: string, lockMs: string): Promise<number>;
  sgSweepBucket(deadlinesKey: string, prefix: string, now: string, batch: string): Promise<Reply>;
  sgDueBuckets(deadlinesKey: string, now: string, ...prefixes: string[]): Promise<number[]>;
  sgGroupStats(countersKey: string, now: string, nBounds: string, ...boundsThenPrefixes: string[]): Promise<[Reply, number, number, number[]]>;
}

const SCRIPTS: Record<keyof SessionCommands, { lua: string; keys: number }> = {
  sgLoad: { lua: LOAD_SESSION, keys: 1 },
  sgCommit: { lua: COMMIT_SESSION, keys: 1 },
  sgResolve: { lua: RESOLVE_COMMIT, keys: 1 },
  sgMoveBegin: { lua: MOVE_BEGIN, keys: 1 },
  sgMoveLand: { lua: MOVE_LAND, keys: 1 },
  sgMoveFinish: { lua: MOVE_FINISH, keys: 1 },
  sgMoveAbort: { lua: MOVE_ABORT, keys: 1 },
  sgDestroyByHandle: { lua: DESTROY_BY_HANDLE, keys: 1 },
  sgListByPrincipal: { lua: LIST_BY_PRINCIPAL, keys: 1 },
  sgDestroyByPrincipal: { lua: DESTROY_BY_PRINCIPAL, keys: 1 },
  sgFindByHandle: { lua: FIND_BY_HANDLE, keys: 1 },
  sgTakeSweepLock: { lua: TAKE_SWEEP_LOCK, keys: 1 },
  sgSweepBucket: { lua: SWEEP_BUCKET, keys: 1 },
  sgDueBuckets: { lua: DUE_BUCKETS, keys: 1 },
  sgGroupStats: { lua: GROUP_STATS, keys: 1 },
};

export function defineSessionCommands(client: RedisClient): SessionCommands {
  for (const [name, script] of Object.entries(SCRIPTS)) client.defineCommand(name, { numberOfKeys: script.keys, lua: script.lua });
  return client as unknown as SessionCommands;
}
