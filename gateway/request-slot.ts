/**
 * A value kept with a request (or its response) for the rest of its life, under a private symbol on the object
 * itself: what a WeakMap keyed by the request does, without the cost a WeakMap entry adds to every garbage
 * collection (an ephemeron the collector must revisit). The request path keeps several per request
 * (docs/architecture.md §2). Each slot has its own symbol, so two slots never see each other's values.
 */
export class RequestSlot<T, Owner extends object> {
  readonly #key: symbol;

  constructor(name: string) {
    this.#key = Symbol(name);
  }

  get(owner: Owner): T | undefined {
    return (owner as unknown as Record<symbol, T | undefined>)[this.#key];
  }

  set(owner: Owner, value: T): void {
    (owner as unknown as Record<symbol, T>)[this.#key] = value;
  }
}
