import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * One JSON line per event on stdout (pino); pretty lines when stdout is a TTY and pino-pretty is installed.
 * Secrets are never logged: callers log `secret: true`, not the value (as oauth2-proxy does).
 */
export function createLogger(options: { level?: string; name?: string; destination?: NodeJS.WritableStream | DestinationStream } = {}): Logger {
  const base: LoggerOptions = {
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { name: options.name ?? 'session-gateway', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['secret', 'token', 'headers.cookie', 'headers.authorization'], censor: '[redacted]' },
  };
  if (options.destination) return pino(base, options.destination as pino.DestinationStream);
  if (process.stdout.isTTY && process.env.LOG_FORMAT !== 'json') {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,name' } } });
  }
  return pino(base);
}
