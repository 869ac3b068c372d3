/**
 * A backend's `max_conns` (docs/architecture.md §6): the connections in use at once, as nginx counts them — a request
 * from the moment it is dispatched until the backend is done with it, and an upgraded connection (a WebSocket tunnel)
 * until it closes. undici's pool limit alone cannot do this: a 101 hands the socket out of the pool, which then opens
 * another. Over the limit, exchanges wait here in arrival order (nginx's `queue`; the connect timeout bounds the
 * wait, as it bounds a wait in undici's own queue).
 */
export class ConnectionSlots {
  readonly #limit: number;
  #taken = 0;
  /** Waiting starts in arrival order (a Set keeps insertion order and drops a cancelled wait in O(1)). */
  readonly #waiting = new Set<() => void>();

  /** `limit` 0: no limit (nginx's default). */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Connections in use (requests dispatched and open tunnels). */
  get taken(): number {
    return this.#taken;
  }

  /** Exchanges waiting for a slot. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /**
   * Run `start` with a slot, now or once one frees; `start` gets the slot's release (idempotent). Returns a cancel
   * for the wait: true when the exchange was still waiting (it then never starts), false when it already has its slot.
   */
  take(start: (release: () => void) => void): () => boolean {
    const run = (): void => {
      this.#taken++;
      start(this.#releaser());
    };
    if (this.#limit === 0 || (this.#taken < this.#limit && this.#waiting.size === 0)) {
      run();
      return () => false;
    }
    this.#waiting.add(run);
    return () => this.#waiting.delete(run);
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#taken--;
      this.#next();
    };
  }

  #next(): void {
    while (this.#waiting.size > 0 && this.#taken < this.#limit) {
      const [run] = this.#waiting;
      this.#waiting.delete(run!);
      run!();
    }
  }
}
