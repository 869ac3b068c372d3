import { createHash, randomBytes } from 'node:crypto';
import { parseStoreKeys } from '../session/store-cipher.js';
import { parseSize } from './units.js';

/**
 * Settings that come from the environment (contract): secrets never need to be in the config file.
 * Validation collects every problem and changes nothing global.
 */
export interface EnvSettings {
  /** null → the embedded in-memory store. */
  redisUrl: string | null;
  /** Cookie signing secrets, first signs, all verify (rotation). */
  sessionSecrets: string[];
  /** True when SESSION_SECRET was not set and a random one was made for this process. */
  sessionSecretGenerated: boolean;
  /** Key for the X-Session JWT (HS256). */
  headerKey: Buffer;
  headerKeyDerived: boolean;
  adminToken: string | null;
  /** METRICS_TOKEN: a read-only token for GET /metrics. */
  metricsToken: string | null;
  /** METRICS_ALLOW_LOOPBACK=on: scrapes from a loopback address need no token. */
  metricsFromLoopback: boolean;
  adminListen: { host: string; port: number };
  /** ADMIN_ALLOWED_HOSTS: more Host names the admin listener answers (comma-separated; `.domain` and `*` allowed). */
  adminAllowedHosts: string[];
  logLevel: string;
  /** How often this gateway runs the expired-session sweep (SESSION_SWEEP_INTERVAL_MS, default 5 s). */
  sweepIntervalMs: number;
  /** SESSION_MEMORY_MAX: heap bytes the embedded store's sessions may hold; null = half the V8 heap limit. */
  sessionMemoryMax: number | null;
  /** SESSION_STORE_KEY: AES-256 keys for encryption at rest in Redis, first encrypts, all decrypt; [] = off. */
  sessionStoreKeys: Buffer[];
}

export const DEFAULT_ADMIN_LISTEN = '127.0.0.1:9901';
export const DEFAULT_SWEEP_INTERVAL_MS = 5_000;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function parseHostPort(text: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  const host = m[1] ?? (m[2] || '0.0.0.0');
  return { host, port };
}

/** The X-Session key derived from a cookie secret (used when SESSION_HEADER_SECRET is not set). */
export function deriveHeaderKeyFromSecret(sessionSecret: string): Buffer {
  return createHash('sha256').update('session-gateway/x-session/v1\u0000').update(sessionSecret).digest();
}

/**
 * The X-Session key exactly as the gateway picks it: SESSION_HEADER_SECRET, else derived from the first
 * SESSION_SECRET. null when neither is set (the gateway then signs with a random per-process secret nobody else knows).
 * Backends (the demo app) call this so they never copy the derivation.
 */
export function deriveHeaderKey(env: NodeJS.ProcessEnv): Buffer | null {
  const headerSecret = env.SESSION_HEADER_SECRET?.trim();
  if (headerSecret) return Buffer.from(headerSecret);
  const first = (env.SESSION_SECRET ?? '').split(',').map((s) => s.trim()).find(Boolean);
  return first ? deriveHeaderKeyFromSecret(first) : null;
}

export function readEnvSettings(env: NodeJS.ProcessEnv, problems: string[]): EnvSettings {
  const redisUrl = env.REDIS_URL?.trim() || null;
  if (redisUrl && !/^rediss?(-sentinel|-cluster)?:\/\//.test(redisUrl)) {
    problems.push('REDIS_URL: must start with redis://, rediss://, redis-sentinel://, redis-cluster:// (or their rediss- forms)');
  }
  const rawSecrets = (env.SESSION_SECRET ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const [i, s] of rawSecrets.entries()) {
    if (Buffer.byteLength(s) < 16) problems.push(`SESSION_SECRET: secret #${i + 1} is shorter than 16 bytes`);
  }
  const sessionSecretGenerated = rawSecrets.length === 0;
  const sessionSecrets = sessionSecretGenerated ? [randomBytes(32).toString('base64url')] : rawSecrets;
  const headerSecret = env.SESSION_HEADER_SECRET?.trim();
  if (headerSecret !== undefined && headerSecret !== '' && Buffer.byteLength(headerSecret) < 16) {
    problems.push('SESSION_HEADER_SECRET: shorter than 16 bytes');
  }
  const headerKeyDerived = !headerSecret;
  // Derived, not reused: a backend that holds the header key must not be able to forge cookies.
  const headerKey = headerSecret ? Buffer.from(headerSecret) : deriveHeaderKeyFromSecret(sessionSecrets[0]!);
  const adminListenText = env.ADMIN_LISTEN?.trim() || DEFAULT_ADMIN_LISTEN;
  const adminListen = parseHostPort(adminListenText);
  if (!adminListen) problems.push(`ADMIN_LISTEN: "${adminListenText}" is not host:port`);
  const adminAllowedHosts = (env.ADMIN_ALLOWED_HOSTS ?? '').split(',').map((h) => h.trim()).filter(Boolean);
  for (const h of adminAllowedHosts) {
    if (h !== '*' && !/^\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?$/.test(h)) problems.push(`ADMIN_ALLOWED_HOSTS: "${h}" is not a host name, ".domain" or "*"`);
  }
  const sweepText = env.SESSION_SWEEP_INTERVAL_MS?.trim();
  const sweepIntervalMs = sweepText ? Number(sweepText) : DEFAULT_SWEEP_INTERVAL_MS;
  if (!Number.isInteger(sweepIntervalMs) || sweepIntervalMs <= 0) problems.push(`SESSION_SWEEP_INTERVAL_MS: "${sweepText}" is not a positive whole number of milliseconds`);
  const memoryText = env.SESSION_MEMORY_MAX?.trim();
  const sessionMemoryMax = memoryText ? parseSize(memoryText) : null;
  if (memoryText && !(sessionMemoryMax !== null && sessionMemoryMax > 0)) problems.push(`SESSION_MEMORY_MAX: "${memoryText}" is not a size such as 512m (bytes, or with k, m or g)`);
  const sessionStoreKeys = parseStoreKeys(env.SESSION_STORE_KEY ?? '', problems);
  const metricsLoopback = env.METRICS_ALLOW_LOOPBACK?.trim() || 'off';
  if (metricsLoopback !== 'on' && metricsLoopback !== 'off') problems.push(`METRICS_ALLOW_LOOPBACK: "${metricsLoopback}" is not "on" or "off"`);
  const logLevel = env.LOG_LEVEL?.trim() || 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL: "${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);
  return {
    redisUrl,
    sessionSecrets,
    sessionSecretGenerated,
    headerKey,
    headerKeyDerived,
    adminToken: env.ADMIN_TOKEN?.trim() || null,
    metricsToken: env.METRICS_TOKEN?.trim() || null,
    metricsFromLoopback: metricsLoopback === 'on',
    adminListen: adminListen ?? { host: '127.0.0.1', port: 9901 },
    adminAllowedHosts,
    logLevel,
    sweepIntervalMs: Number.isInteger(sweepIntervalMs) && sweepIntervalMs > 0 ? sweepIntervalMs : DEFAULT_SWEEP_INTERVAL_MS,
    sessionMemoryMax: sessionMemoryMax !== null && sessionMemoryMax > 0 ? sessionMemoryMax : null,
    sessionStoreKeys,
  };
}
