import { StoreFullError, StoreTimeoutError, StoreUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import { toStoreUnavailable } from './redis-connection.js';

/**
 * Exactly-once writes (docs/architecture.md §13). Every commit script carries an idempotency token and records its
 * result under it, so a copy that runs again (ioredis resends what was in flight when a connection dropped) returns
 * the first result. When the gateway does not get the reply — a timeout, a dropped connection — it does not guess:
 * it sends the fence (RESOLVE_COMMIT) for the token until Redis answers, and answers the client what the fence
 * says. A 503 therefore always means "not applied"; when not even the fence gets through within the outcome timeout,
 * the answer is 504 SG_STORE_TIMEOUT ("not known"), never a 503.
 */

export type Reply = Array<string | Reply>;

/** ioredis rejected the command before writing it to any socket: it certainly did not run. */
export function neverSent(err: unknown): boolean {
  return (err as Error | undefined)?.message?.includes('enableOfflineQueue options is false') === true;
}

/** Redis refused to run a write at maxmemory (noeviction): before anything of it ran. */
export function outOfMemory(err: unknown): boolean {
  return (err as Error | undefined)?.message?.startsWith('OOM ') === true;
}

export interface ExactlyOnceOptions {
  /** How long to keep trying the fence before answering "not known". */
  outcomeTimeoutMs: number;
  log?: Logger | undefined;
  /** Names the write in messages ('commit', 'login'). */
  operation: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Run `send` once; if its outcome is unknown, settle it with `fence`. Resolves with the write's reply (its first
 * result when it ran, possibly from the fence); throws StoreUnavailableError when it certainly did not run,
 * StoreFullError on maxmemory, StoreTimeoutError when the outcome stayed unknown.
 */
export async function writeExactlyOnce(send: () => Promise<Reply>, fence: () => Promise<Reply>, options: ExactlyOnceOptions): Promise<Reply> {
  let reply: Reply;
  try {
    reply = await send();
  } catch (err) {
    if (outOfMemory(err)) throw new StoreFullError(`Redis is at its maxmemory limit: the ${options.operation} was not applied`);
    if (neverSent(err)) throw toStoreUnavailable(err, options.operation);
    reply = await settle(fence, err, options);
  }
  if (reply[0] === 'aborted') throw new StoreUnavailableError(`session store ${options.operation} failed: not applied (confirmed after the reply was lost)`);
  return reply;
}

async function settle(fence: () => Promise<Reply>, cause: unknown, options: ExactlyOnceOptions): Promise<Reply> {
  const started = Date.now();
  let delay = 25;
  let last = cause;
  for (let attempt = 1; ; attempt++) {
    try {
      const reply = await fence();
      options.log?.warn({
        event: 'session.commit_settled', operation: options.operation, applied: reply[0] !== 'aborted', attempts: attempt,
        cause: (cause as Error).message, ms: Date.now() - started,
      }, `the reply to a session ${options.operation} was lost; the store says it was ${reply[0] === 'aborted' ? 'not applied' : 'applied'}`);
      return reply;
    } catch (err) {
      last = err;
    }
    if (Date.now() - started + delay > options.outcomeTimeoutMs) break;
    await sleep(delay);
    delay = Math.min(delay * 2, 500);
  }
  options.log?.error({ event: 'session.commit_unknown', operation: options.operation, cause: (last as Error).message }, `could not learn whether a session ${options.operation} was applied`);
  throw new StoreTimeoutError(`the session store did not confirm within ${options.outcomeTimeoutMs} ms whether the ${options.operation} was applied: ${(last as Error).message}`, { cause: last });
}
