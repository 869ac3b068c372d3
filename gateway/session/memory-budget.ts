import { getHeapStatistics } from 'node:v8';

/**
 * The embedded store's memory bound (docs/architecture.md §13): an estimate of the heap every session, tombstone
 * and alias holds, kept as a running total, so no flood of new sessions can exhaust the process whatever heap size
 * it runs with. New sessions stop at NEW_SESSION_SHARE of the limit; the rest is headroom in which sessions that
 * exist keep working (each is capped by $session_max_bytes) — a write that would pass the limit itself is refused.
 */

/** Default: half of V8's heap limit (`--max-old-space-size` in a container, else what V8 picked for the machine). */
export function defaultMemoryLimit(): number {
  return Math.floor(getHeapStatistics().heap_size_limit / 2);
}

/** Measured on Node 20 (100,000 sessions, heap used after a full GC): what a session costs beyond its text. */
const SESSION_OVERHEAD = 600;
const FIELD_OVERHEAD = 72;
const PRINCIPAL_OVERHEAD = 320;
/** A tombstone or a login alias: a Map entry with a key string. */
export const MARKER_BYTES = 200;

export const NEW_SESSION_SHARE = 0.9;

/** Heap bytes of one session: its encoded size (UTF-8 bytes, an upper bound of V8's string storage) plus overheads. */
export function sessionBytes(encodedSize: number, fieldCount: number, principal: string | null): number {
  return SESSION_OVERHEAD + encodedSize + FIELD_OVERHEAD * fieldCount + (principal === null ? 0 : PRINCIPAL_OVERHEAD + principal.length * 2);
}

export class MemoryBudget {
  readonly limit: number;
  #used = 0;

  constructor(limit: number = defaultMemoryLimit()) {
    if (!(limit > 0)) throw new RangeError(`memory limit must be positive, got ${limit}`);
    this.limit = limit;
  }

  get used(): number {
    return this.#used;
  }

  /** May a new session of `bytes` be created? */
  admitsNew(bytes: number): boolean {
    return this.#used + bytes <= this.limit * NEW_SESSION_SHARE;
  }

  /** May something that exists grow by `delta` bytes? */
  admitsGrowth(delta: number): boolean {
    return delta <= 0 || this.#used + delta <= this.limit;
  }

  add(bytes: number): void {
    this.#used += bytes;
  }

  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}
