import { Command, type Redis } from 'ioredis';
import { isCluster, type RedisClient } from './redis-connection.js';
import { splitHash, splitRecord } from './redis-replies.js';

type Stream = Redis['stream'];
type Split = ReturnType<typeof splitHash>;

/**
 * HGETALL whose reply stays the flat list Redis sends, decoded as ioredis' `utf8` encoding decodes it: ioredis'
 * reply transformer for `hgetall` builds an object of it (a property per field, checked for special names) that the
 * store only took apart again — on the read path, more work than the rest of the reply's handling.
 */
class FlatHgetall extends Command {
  override transformReply(result: Buffer | Buffer[]): string[] {
    if (!Array.isArray(result)) return [];
    const flat = new Array<string>(result.length);
    for (let i = 0; i < result.length; i++) flat[i] = result[i]!.toString();
    return flat;
  }
}

const splitFlat = (flat: string[]): Split => splitHash(flat, 0);

/**
 * HGETALL of the read path (a session that needs no touch, redis-store.ts load), sent as a plain command instead of
 * through ioredis' auto-pipelining (enableAutoPipelining, redis-connection.ts). Auto-pipelining builds a Pipeline for
 * every event-loop turn that sends a command and, per command, a wrapper promise, a callback, two promise reactions,
 * a result pair and a nextTick, and hands no reply back before the turn's last one has arrived: on a read-only load
 * that was more JavaScript than the rest of the store's read. What it is there for — the commands of one turn going
 * out in one write — is kept by corking the connection's socket until the turn's immediates run (where the
 * auto-pipeline writes too), so the read's commands of one turn still leave in one writev.
 *
 * The command still goes through the client's sendCommand: the command timeout, the failing fast without an offline
 * queue, the retry after a reconnect and the replies' order are ioredis' own. A Cluster keeps the auto-pipeline,
 * which groups commands by node.
 */
export class HashReads {
  readonly #client: RedisClient;
  #corked: Stream | null = null;
  readonly #uncork = (stream: Stream): void => {
    this.#corked = null;
    stream.uncork();
  };

  constructor(client: RedisClient) {
    this.#client = client;
  }

  /** The hash's meta fields and attributes apart (redis-replies.ts splitHash); both empty when the key is absent. */
  hgetall(key: string): Promise<Split> {
    const client = this.#client;
    if (isCluster(client)) return client.hgetall(key).then(splitRecord);
    this.#cork(client.stream);
    const options = client.options;
    // The options ioredis' own `hgetall` passes (utils/Commander generateFunction), but the reply's encoding, which
    // FlatHgetall does.
    const command = new FlatHgetall('hgetall', [key], {
      keyPrefix: options.keyPrefix,
      errorStack: options.showFriendlyErrorStack ? new Error() : undefined,
    });
    return (client.sendCommand(command) as Promise<string[]>).then(splitFlat);
  }

  /** Writes of this turn wait in the socket until its immediates; one uncork per cork, on the socket corked. */
  #cork(stream: Stream | undefined): void {
    if (this.#corked !== null || !stream?.writable) return;
    stream.cork();
    this.#corked = stream;
    setImmediate(this.#uncork, stream);
  }
}
