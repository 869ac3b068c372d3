import { Command, type Redis } from 'ioredis';
import { isCluster, type RedisClient } from './redis-connection.js';
import { splitRecord } from './redis-replies.js';
import { META_PREFIX } from './store-rules.js';

type Stream = Redis['stream'];
type Split = ReturnType<typeof splitRecord>;

/** `#` and one ASCII letter, the names of a session's meta fields (store-rules.ts), as strings made once. */
const META_NAMES: readonly string[] = Array.from({ length: 128 }, (_, b) => `${META_PREFIX}${String.fromCharCode(b)}`);
const META_BYTE = META_PREFIX.charCodeAt(0);

/** A field name as ioredis' `utf8` encoding decodes it; a meta field's two bytes name a string made once. */
function fieldNameOf(name: Buffer): string {
  return name.length === 2 && name[0] === META_BYTE && name[1]! < 0x80 ? META_NAMES[name[1]!]! : name.toString();
}

/**
 * HGETALL whose reply is split into meta fields and attributes as it arrives, decoded as ioredis' `utf8` encoding
 * decodes it: ioredis' reply transformer for `hgetall` builds an object of it (a property per field, checked for
 * special names) that the store only took apart again. A session's reply is some twenty bulk strings, half of them
 * the names of its meta fields: those are not decoded at all, and no flat copy of the reply is made on the way.
 */
class SplitHgetall extends Command {
  // ioredis resolves the command's promise with whatever this returns; its typing allows strings and buffers only.
  override transformReply(result: Buffer | Buffer[]): string[] {
    return splitReply(result) as unknown as string[];
  }
}

function splitReply(result: Buffer | Buffer[]): Split {
  const meta = new Map<string, string>();
  const fields = new Map<string, string>();
  if (!Array.isArray(result)) return { meta, fields };
  for (let i = 0; i + 1 < result.length; i += 2) {
    const name = fieldNameOf(result[i]!);
    (name.startsWith(META_PREFIX) ? meta : fields).set(name, result[i + 1]!.toString());
  }
  return { meta, fields };
}

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

  /** The hash's meta fields and attributes apart (as redis-replies.ts splitRecord splits); empty when it is absent. */
  hgetall(key: string): Promise<Split> {
    const client = this.#client;
    if (isCluster(client)) return client.hgetall(key).then(splitRecord);
    this.#cork(client.stream);
    const options = client.options;
    // The options ioredis' own `hgetall` passes (utils/Commander generateFunction), but the reply's encoding, which
    // SplitHgetall does.
    const command = new SplitHgetall('hgetall', [key], {
      keyPrefix: options.keyPrefix,
      errorStack: options.showFriendlyErrorStack ? new Error() : undefined,
    });
    return client.sendCommand(command) as unknown as Promise<Split>;
  }

  /** Writes of this turn wait in the socket until its immediates; one uncork per cork, on the socket corked. */
  #cork(stream: Stream | undefined): void {
    if (this.#corked !== null || !stream?.writable) return;
    stream.cork();
    this.#corked = stream;
    setImmediate(this.#uncork, stream);
  }
}
