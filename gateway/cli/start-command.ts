import { parseArgs } from 'node:util';
import { readEnvSettings } from '../config/env.js';
import { loadGatewayConfig } from '../config/load-config.js';
import { createLogger } from '../log.js';
import { Gateway } from '../main.js';
import { AdminServer } from '../admin/admin-server.js';
import { MemoryCoordStore } from '../coord/memory-coord.js';
import { RedisCoordStore } from '../coord/redis-coord.js';
import { GatewayError } from '../errors.js';
import { redactRedisUrl } from '../session/redis-connection.js';
import { MemorySessionStore } from '../session/memory-store.js';
import { createSessionStore } from '../session/store-factory.js';
import type { CliCommand } from './commands.js';

/** Start the gateway in the foreground; SIGTERM/SIGINT stop it in two phases (stop accepting, then finish). */
export const startCommand: CliCommand = {
  summary: 'start -c FILE: run the gateway on a config file (nginx-compat syntax)',
  async run(args) {
    const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, allowPositionals: false });
    if (!values.config) {
      process.stderr.write('session-gateway start: -c FILE is required\n');
      return 2;
    }
    const loaded = await loadGatewayConfig(values.config);
    const envProblems: string[] = [];
    const env = readEnvSettings(process.env, envProblems);
    const problems = [...loaded.problems, ...envProblems];
    if (problems.length > 0 || !loaded.settings) {
      process.stderr.write(`${problems.join('\n')}\nsession-gateway: ${problems.length} problem(s) in the configuration; not started\n`);
      return 1;
    }
    const log = createLogger({ level: env.logLevel });
    if (loaded.ignored.length > 0) log.info({ event: 'config.ignored', directives: loaded.ignored }, `${loaded.ignored.length} nginx directive(s) ignored`);
    if (env.sessionSecretGenerated) {
      log.warn({ event: 'config.secret_generated', secret: true }, 'SESSION_SECRET is not set: using a random secret for this process; sessions end when it restarts and other gateways cannot read them');
    }
    const store = await createSessionStore({ redisUrl: env.redisUrl, log, memoryLimitBytes: env.sessionMemoryMax });
    // One line that says which store runs (docs/architecture.md §5): an operator must never wonder whether sessions are shared.
    const memoryMax = store instanceof MemorySessionStore ? store.memory.limit : undefined;
    log.info({ event: 'store.ready', kind: store.kind, ...(env.redisUrl ? { redis: redactRedisUrl(env.redisUrl) } : { memoryMax }) }, store.kind === 'memory'
      ? `session store: embedded (in memory, this process only, at most ${Math.round((memoryMax ?? 0) / 1048576)} MiB; lost on restart) — set REDIS_URL to share sessions between gateways`
      : `session store: redis at ${redactRedisUrl(env.redisUrl ?? '')}`);
    // Admin state lives next to the sessions: in Redis it is shared by every gateway on the same REDIS_URL.
    const coord = env.redisUrl === null ? new MemoryCoordStore() : await RedisCoordStore.connect(env.redisUrl, log);
    const gateway = new Gateway({ settings: loaded.settings, env, store, log, coord });
    let admin: AdminServer;
    try {
      admin = new AdminServer({ gateway, log }, { host: env.adminListen.host, port: env.adminListen.port, token: env.adminToken });
    } catch (err) {
      const message = err instanceof GatewayError ? `${err.message} (${err.code})` : String(err);
      process.stderr.write(`session-gateway: ${message}; not started\n`);
      await coord.close();
      await store.close();
      return 1;
    }
    const bound = await gateway.listen();
    const adminBound = await admin.listen();
    log.info({ event: 'admin.listening', address: adminBound, token: env.adminToken !== null }, `admin API on http://${adminBound.host}:${adminBound.port}/${env.adminToken === null ? ' (no ADMIN_TOKEN: loopback only)' : ''}`);
    log.info({ event: 'gateway.listening', addresses: bound, config: values.config }, `listening on ${bound.map((a) => `${a.host}:${a.port}`).join(', ')}`);
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ event: 'gateway.stopping', signal }, 'stopping: finishing in-flight requests');
      admin.close().then(() => gateway.close()).then(
        () => {
          log.info({ event: 'gateway.stopped' }, 'stopped');
          log.flush();
          process.exit(0);
        },
        (err: unknown) => {
          log.error({ err, event: 'gateway.stop_failed' }, 'stop failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    return -1;
  },
};
