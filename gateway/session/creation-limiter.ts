import { isIPv4, isIPv6 } from 'node:net';

/**
 * The per-client bound on session creation (docs/architecture.md §4): what `limit_req zone=… burst=N nodelay` gives
 * nginx users, applied to the one thing an anonymous flood costs the gateway, a new session. Each client may create
 * `rate` sessions per second, and `burst` more at once; past that its new sessions are refused until the rate allows
 * one again (existing sessions are never limited). Requests that create nothing are never counted.
 *
 * The generic cell rate algorithm keeps one number per client, the time its allowance is used up to ("theoretical
 * arrival time"); a client whose time has passed holds nothing more than a client never seen, so such entries are
 * the first to go when the table is full. The table is bounded (nginx's zone size): a flood from more clients than it
 * holds forgets the least recently seen ones, which is the most a bounded table can do.
 *
 * A client is its address; an IPv6 client is its /64, the block one subscriber gets (RFC 6177), since anyone holding
 * one can use all of it. Counted per gateway process, like a `limit_req_zone` of one nginx.
 */

export interface CreationLimit {
  /** Sessions per second; 0 = no bound. */
  ratePerSecond: number;
  /** How many more may be created at once. */
  burst: number;
}

export const DEFAULT_MAX_CLIENTS = 100_000;

export class SessionCreationLimiter {
  readonly #until = new Map<string, number>();
  readonly #maxClients: number;

  constructor(options: { maxClients?: number } = {}) {
    this.#maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS;
  }

  /** Count one creation by `client` at `now` (ms). 0 when allowed; otherwise the seconds until one would be. */
  take(client: string, limit: CreationLimit, now: number): number {
    if (limit.ratePerSecond <= 0) return 0;
    const interval = 1000 / limit.ratePerSecond;
    const tolerance = limit.burst * interval;
    const until = Math.max(this.#until.get(client) ?? now, now);
    if (until - now > tolerance) return Math.max(1, Math.ceil((until - now - tolerance) / 1000));
    // Re-insert so the Map's order is least recently counted first.
    this.#until.delete(client);
    this.#until.set(client, until + interval);
    this.#evict(now);
    return 0;
  }

  /** Clients tracked (for tests). */
  get size(): number {
    return this.#until.size;
  }

  #evict(now: number): void {
    if (this.#until.size <= this.#maxClients) return;
    for (const [client, until] of this.#until) {
      if (this.#until.size <= this.#maxClients && until > now) return;
      this.#until.delete(client);
    }
  }
}

/** The key a client is counted under: its IPv4 address (also when IPv4-mapped), or the /64 of its IPv6 address. */
export function clientKeyOf(address: string | undefined): string | null {
  if (!address) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(address)) return address;
  const bare = address.split('%')[0]!;
  if (!isIPv6(bare)) return address;
  return `${expandIPv6(bare).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, lower-case, without leading zeros. */
function expandIPv6(address: string): string[] {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const middle = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((g) => Number.parseInt(g, 16).toString(16));
}
