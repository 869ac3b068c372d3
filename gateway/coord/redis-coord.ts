import type { Logger } from '../log.js';
import type { AdminState } from '../pool/backend.js';
import { closeRedisClient, connectRedis, keyPrefixFor, type RedisClient } from '../session/redis-connection.js';
import type { AdminSnapshot, BackendAdminRecord, CoordStore, Heartbeat, LockResult } from './coord-store.js';

/**
 * Admin state in Redis, shared by every gateway on the same REDIS_URL:
 *   <p>coord:epoch            INCR on every change
 *   <p>coord:state            hash NAME → JSON BackendAdminRecord (with the epoch of its change)
 *   <p>coord:hb:<gatewayId>   JSON Heartbeat with a TTL (PX): a dead gateway drops out by itself
 *   <p>coord:gateways         set of gateway ids that published (pruned when their heartbeat key is gone)
 *   <p>coord:rollout-lock     owner token, SET NX PX; renew/release compare the owner (Lua)
 *   channel <p>coord:changed  a hint only; gateways re-read the state every sync interval anyway
 * <p> is `sg:v1:` (`{sg}:v1:` on a Cluster, so the Lua scripts' keys share a slot).
 */

const SET_STATE = `
local epoch = redis.call('INCR', KEYS[1])
local record = cjson.encode({ state = ARGV[2], epoch = epoch, since = tonumber(ARGV[3]), by = ARGV[4] })
redis.call('HSET', KEYS[2], ARGV[1], record)
return record`;

const RENEW_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export class RedisCoordStore implements CoordStore {
  readonly kind = 'redis' as const;
  readonly #client: RedisClient;
  readonly #subscriber: RedisClient;
  readonly #prefix: string;
  readonly #clock: () => number;
  readonly #listeners: Array<() => void> = [];

  private constructor(client: RedisClient, subscriber: RedisClient, clock: () => number) {
    this.#client = client;
    this.#subscriber = subscriber;
    this.#prefix = `${keyPrefixFor(client)}coord:`;
    this.#clock = clock;
    this.#subscriber.on('message', (channel: string) => {
      if (channel === this.#key('changed')) for (const l of this.#listeners) l();
    });
  }

  /** Two connections: commands, and one in subscriber mode for the change hint. */
  static async connect(url: string, log?: Logger, clock: () => number = Date.now): Promise<RedisCoordStore> {
    const client = await connectRedis(url, { ...(log ? { log } : {}), connectionName: 'session-gateway:coord' });
    // ioredis re-subscribes by itself after a reconnect (autoResubscribe); a missed hint only costs one sync interval.
    const subscriber = await connectRedis(url, { ...(log ? { log } : {}), connectionName: 'session-gateway:coord-sub' });
    const store = new RedisCoordStore(client, subscriber, clock);
    await subscriber.subscribe(store.#key('changed')).catch((err: unknown) => log?.warn({ event: 'coord.subscribe_failed', err: (err as Error).message }, 'admin-state change hints unavailable; relying on the periodic re-read'));
    return store;
  }

  #key(name: string): string {
    return this.#prefix + name;
  }

  async load(): Promise<AdminSnapshot> {
    const [epoch, raw] = await Promise.all([this.#client.get(this.#key('epoch')), this.#client.hgetall(this.#key('state'))]);
    const backends: Record<string, BackendAdminRecord> = {};
    for (const [name, json] of Object.entries(raw)) {
      try {
        backends[name] = JSON.parse(json) as BackendAdminRecord;
      } catch {
        // A damaged record is ignored: the backend keeps its configured state.
      }
    }
    return { epoch: Number(epoch ?? 0), backends };
  }

  async setState(name: string, state: AdminState, by: string): Promise<BackendAdminRecord> {
    const json = (await this.#client.eval(SET_STATE, 2, this.#key('epoch'), this.#key('state'), name, state, String(this.#clock()), by)) as string;
    await this.#client.publish(this.#key('changed'), name).catch(() => 0);
    return JSON.parse(json) as BackendAdminRecord;
  }

  async publishHeartbeat(heartbeat: Heartbeat, ttlMs: number): Promise<void> {
    await Promise.all([
      this.#client.set(this.#key(`hb:${heartbeat.gatewayId}`), JSON.stringify(heartbeat), 'PX', ttlMs),
      this.#client.sadd(this.#key('gateways'), heartbeat.gatewayId),
    ]);
  }

  async removeHeartbeat(gatewayId: string): Promise<void> {
    await Promise.all([this.#client.del(this.#key(`hb:${gatewayId}`)), this.#client.srem(this.#key('gateways'), gatewayId)]);
  }

  async heartbeats(): Promise<Heartbeat[]> {
    const ids = await this.#client.smembers(this.#key('gateways'));
    if (ids.length === 0) return [];
    const values = await Promise.all(ids.map((id) => this.#client.get(this.#key(`hb:${id}`))));
    const live: Heartbeat[] = [];
    const gone: string[] = [];
    values.forEach((json, i) => {
      if (json === null) gone.push(ids[i]!);
      else live.push(JSON.parse(json) as Heartbeat);
    });
    if (gone.length > 0) await this.#client.srem(this.#key('gateways'), ...gone).catch(() => 0);
    return live;
  }

  async acquireLock(owner: string, ttlMs: number): Promise<LockResult> {
    const key = this.#key('rollout-lock');
    const ok = await this.#client.set(key, owner, 'PX', ttlMs, 'NX');
    if (ok === 'OK') return { acquired: true };
    const holder = await this.#client.get(key);
    if (holder === owner) return { acquired: (await this.renewLock(owner, ttlMs)) } as LockResult;
    return { acquired: false, holder: holder ?? 'unknown' };
  }

  async renewLock(owner: string, ttlMs: number): Promise<boolean> {
    return Number(await this.#client.eval(RENEW_LOCK, 1, this.#key('rollout-lock'), owner, String(ttlMs))) === 1;
  }

  async releaseLock(owner: string): Promise<boolean> {
    return Number(await this.#client.eval(RELEASE_LOCK, 1, this.#key('rollout-lock'), owner)) === 1;
  }

  async lockHolder(): Promise<string | null> {
    return this.#client.get(this.#key('rollout-lock'));
  }

  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {
    this.#listeners.length = 0;
    await Promise.all([closeRedisClient(this.#client), closeRedisClient(this.#subscriber)]);
  }
}
