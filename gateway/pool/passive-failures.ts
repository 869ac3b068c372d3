/**
 * Passive failure accounting, as nginx's `max_fails` / `fail_timeout`: `maxFails` failed attempts within
 * `failTimeoutMs` make the backend unavailable for `failTimeoutMs`. `maxFails` 0 turns it off. Pure: the clock is
 * passed in, so it is testable without sockets.
 */
export class PassiveFailures {
  readonly maxFails: number;
  readonly failTimeoutMs: number;
  #failures: number[] = [];
  #ejectedUntil = 0;

  constructor(maxFails: number, failTimeoutMs: number) {
    this.maxFails = maxFails;
    this.failTimeoutMs = failTimeoutMs;
  }

  /** Is the backend out because of recent failures? */
  ejected(now: number): boolean {
    return now < this.#ejectedUntil;
  }

  get ejectedUntil(): number {
    return this.#ejectedUntil;
  }

  /**
   * Count one failure. Returns true when this failure reached `maxFails` and the caller may eject; the caller
   * decides (it refuses for the last serving backend) and then calls `eject`.
   */
  recordFailure(now: number): boolean {
    if (this.maxFails <= 0) return false;
    this.#failures = this.#failures.filter((t) => now - t < this.failTimeoutMs);
    this.#failures.push(now);
    return this.#failures.length >= this.maxFails;
  }

  eject(now: number): void {
    this.#ejectedUntil = now + this.failTimeoutMs;
    this.#failures = [];
  }

  /** A success proves the backend answers again: forget the failures and any ejection. */
  recordSuccess(): void {
    if (this.#failures.length > 0) this.#failures = [];
  }

  reset(): void {
    this.#failures = [];
    this.#ejectedUntil = 0;
  }
}
