/** Something that outlives a request (a WebSocket tunnel, an SSE stream): a drain ends it. */
export interface LongLived {
  readonly kind?: 'websocket' | 'sse';
  close(code: number, reason: string): void;
}

/**
 * A request's hold on one backend (docs/architecture.md §6): counted in flight from `acquire` until `release`, or
 * among the backend's long-lived streams after `promote`. Release is idempotent and the only way down, so an
 * exception on any path (the request path releases in its `finally`) can never leave a count up and hold a drain
 * until its timeout.
 */
export class Lease {
  readonly #load: BackendLoad;
  #entry: LongLived | null = null;
  #released = false;

  constructor(load: BackendLoad) {
    this.#load = load;
  }

  get released(): boolean {
    return this.#released;
  }

  /** The request became a stream that outlives it: no longer in flight, a drain closes it through `entry`. */
  promote(entry: LongLived): void {
    if (this.#released || this.#entry) return;
    this.#entry = entry;
    this.#load.move(entry);
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#load.drop(this.#entry);
  }
}

/** A backend's in-flight and long-lived counts; changed only through the leases it hands out. */
export class BackendLoad {
  #inFlight = 0;
  readonly #longLived = new Set<LongLived>();

  get inFlight(): number {
    return this.#inFlight;
  }

  get longLived(): ReadonlySet<LongLived> {
    return this.#longLived;
  }

  acquire(): Lease {
    this.#inFlight++;
    return new Lease(this);
  }

  /** Lease.promote: in flight → long-lived. */
  move(entry: LongLived): void {
    this.#inFlight--;
    this.#longLived.add(entry);
  }

  /** Lease.release: the lease's count goes down, whichever it was. */
  drop(entry: LongLived | null): void {
    if (entry) this.#longLived.delete(entry);
    else this.#inFlight--;
  }
}
