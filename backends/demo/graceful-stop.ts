import type { Server, ServerResponse } from 'node:http';
import type { Logger } from '../../gateway/log.js';
import type { DemoWebSockets } from './websocket.js';

/**
 * Graceful stop in two phases (as traefik does):
 *  1. readiness: /healthz answers 503 at once and every response carries `Connection: close`; the listener stays
 *     open for up to `stopDelayMs`, ending early as soon as no request is in flight (default 0: no lame-duck phase);
 *  2. close: stop accepting, close idle keep-alive sockets, close WebSockets with 1001, let in-flight requests finish.
 * Resolves true when everything closed by itself, false when `stopTimeoutMs` passed and sockets were destroyed.
 */
export class GracefulStop {
  readonly #server: Server;
  readonly #sockets: DemoWebSockets;
  readonly #log: Logger;
  #inFlight = 0;
  #stopping = false;
  #wakeLameDuck: (() => void) | null = null;
  #done: Promise<boolean> | null = null;

  constructor(server: Server, sockets: DemoWebSockets, log: Logger) {
    this.#server = server;
    this.#sockets = sockets;
    this.#log = log;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Count a request until its response finishes or its connection goes away. */
  track(res: ServerResponse): void {
    this.#inFlight++;
    let counted = true;
    const done = () => {
      if (!counted) return;
      counted = false;
      this.#inFlight--;
      if (this.#stopping) {
        // A socket that just finished its last response is idle now: close it rather than wait for keepAliveTimeout.
        setImmediate(() => this.#server.closeIdleConnections());
        if (this.#inFlight === 0) this.#wakeLameDuck?.();
      }
    };
    res.once('finish', done);
    res.once('close', done);
  }

  stop(options: { stopDelayMs: number; stopTimeoutMs: number }): Promise<boolean> {
    this.#done ??= this.#run(options);
    return this.#done;
  }

  async #run({ stopDelayMs, stopTimeoutMs }: { stopDelayMs: number; stopTimeoutMs: number }): Promise<boolean> {
    this.#stopping = true;
    const started = Date.now();
    let hardTimer: NodeJS.Timeout | undefined;
    const hardTimeout = new Promise<false>((resolve) => {
      hardTimer = setTimeout(() => resolve(false), stopTimeoutMs);
    });
    const graceful = (async () => {
      if (stopDelayMs > 0 && this.#inFlight > 0) {
        this.#log.info({ event: 'stop-lame-duck', inFlight: this.#inFlight, stopDelayMs }, 'healthz now 503; still accepting while requests are in flight');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, stopDelayMs);
          this.#wakeLameDuck = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      this.#server.closeIdleConnections();
      this.#log.info({ event: 'stop-closing', inFlight: this.#inFlight, websockets: this.#sockets.openCount }, 'stopped accepting; finishing in-flight requests');
      await this.#sockets.closeAll(Math.max(0, stopTimeoutMs - (Date.now() - started)));
      await closed;
      return true as const;
    })();
    const clean = await Promise.race([graceful, hardTimeout]);
    clearTimeout(hardTimer);
    if (!clean) {
      this.#log.warn({ event: 'stop-forced', inFlight: this.#inFlight, stopTimeoutMs }, 'graceful stop timed out; destroying open sockets');
      this.#server.closeAllConnections();
    }
    return clean;
  }
}
