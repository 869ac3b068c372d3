import { startGateway } from '../../helpers/gateway-process.js';
import { TestRedis } from '../../helpers/redis-server.js';
import { runLoginRace } from './login-race.js';

runLoginRace('embedded store', (backend) => startGateway({ backends: [backend] }));

let redis: TestRedis | null = null;
runLoginRace('Redis', async (backend) => {
  redis = await TestRedis.start();
  return startGateway({ backends: [backend], redisUrl: redis.url });
}, async () => {
  await redis?.close();
});
