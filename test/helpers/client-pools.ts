import { Agent, getGlobalDispatcher, Pool, setGlobalDispatcher, type Dispatcher } from 'undici';

/**
 * The tests' own HTTP client (undici's global dispatcher, which `request()` and the Browser helper use): one
 * keep-alive pool per origin, as undici's Agent keeps, that can also let go of one origin. A gateway's graceful stop
 * gives connections idle at its start 1 s to send one more request (docs/architecture.md §12); a test that stops a
 * gateway first releases its own idle connections to it, so the stop is not held by connections nobody will use.
 */
class ReleasableAgent extends Agent {
  readonly #pools = new Map<string, Pool>();

  override dispatch(options: Agent.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const origin = new URL(String(options.origin)).origin;
    let pool = this.#pools.get(origin);
    if (!pool) {
      pool = new Pool(origin);
      this.#pools.set(origin, pool);
    }
    return pool.dispatch(options, handler);
  }

  /**
   * Idle connections to `origin` close now; requests still running on it finish on their connections (a graceful
   * close), and the next request to it opens a new pool.
   */
  release(origin: string): void {
    const pool = this.#pools.get(origin);
    if (!pool) return;
    this.#pools.delete(origin);
    pool.close().catch(() => {});
  }

  override async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((p) => p.close()));
    this.#pools.clear();
    await super.close();
  }

  override async destroy(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((p) => p.destroy()));
    this.#pools.clear();
    await super.destroy();
  }
}

function releasableAgent(): ReleasableAgent {
  const current = getGlobalDispatcher();
  if (current instanceof ReleasableAgent) return current;
  const agent = new ReleasableAgent();
  setGlobalDispatcher(agent);
  return agent;
}

releasableAgent();

/** Close this process's idle client connections to each URL's origin (see ReleasableAgent). */
export function releaseClientConnections(...urls: string[]): void {
  const agent = releasableAgent();
  for (const url of urls) agent.release(new URL(url).origin);
}
