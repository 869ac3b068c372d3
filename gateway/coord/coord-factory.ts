import type { Logger } from '../log.js';
import type { CoordStore } from './coord-store.js';
import { MemoryCoordStore } from './memory-coord.js';
import { RedisCoordStore } from './redis-coord.js';

/** Admin state lives next to the sessions: in Redis it is shared by every gateway on the same REDIS_URL. */
export async function createCoordStore(redisUrl: string | null, log: Logger): Promise<CoordStore> {
  return redisUrl === null ? new MemoryCoordStore() : RedisCoordStore.connect(redisUrl, log);
}
