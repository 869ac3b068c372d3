/**
 * The strings of a backend's response field names, made once per spelling. A backend sends the same dozen names on
 * every answer (Content-Type, Date, Connection…); turning each name's bytes into a string (a call into C++) and a
 * lower-case copy for every field of every response is work whose result never changes. A name seen before is found
 * by its bytes, compared in place; one not seen is converted as before and kept, up to a bound, so a backend that
 * invents names cannot grow the table.
 */
export interface HeaderName {
  /** The name as it was on the wire, one character per byte (latin1). */
  readonly name: string;
  readonly lower: string;
}

interface Known extends HeaderName {
  readonly bytes: Buffer;
}

/** By length and first and last byte: a short list to compare, nearly always of one entry. */
const known = new Map<number, Known[]>();
const MAX_KNOWN = 256;
let size = 0;

export function headerNameOf(bytes: Buffer): HeaderName {
  const length = bytes.length;
  if (length === 0) return EMPTY;
  const key = length * 65536 + bytes[0]! * 256 + bytes[length - 1]!;
  const candidates = known.get(key);
  if (candidates !== undefined) {
    for (const candidate of candidates) if (sameBytes(candidate.bytes, bytes)) return candidate;
  }
  const name = bytes.toString('latin1');
  const entry: Known = { name, lower: name.toLowerCase(), bytes: Buffer.from(bytes) };
  if (size < MAX_KNOWN) {
    size++;
    if (candidates === undefined) known.set(key, [entry]);
    else candidates.push(entry);
  }
  return entry;
}

const EMPTY: HeaderName = { name: '', lower: '' };

/** Equal lengths are known (same key); names are short, so a loop beats a call into C++. */
function sameBytes(a: Buffer, b: Buffer): boolean {
  for (let i = a.length - 1; i >= 0; i--) if (a[i] !== b[i]) return false;
  return true;
}
