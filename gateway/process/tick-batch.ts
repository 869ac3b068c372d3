/**
 * Items pushed during one turn of the event loop, handed over together once the turn's I/O callbacks have run
 * (setImmediate): the IPC store sends the calls — and the master the answers — of all requests that arrived in the
 * same turn as one message, one serialization and one write instead of one per call (docs/architecture.md §12).
 */
export class TickBatch<T> {
  readonly #flush: (items: T[]) => void;
  #items: T[] = [];
  #scheduled = false;

  constructor(flush: (items: T[]) => void) {
    this.#flush = flush;
  }

  push(item: T): void {
    this.#items.push(item);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#run());
  }

  #run(): void {
    const items = this.#items;
    this.#items = [];
    this.#scheduled = false;
    this.#flush(items);
  }
}
