/**
 * IP addresses as bytes, and nginx's CIDR syntax (`ngx_ptocidr`): `10.0.0.1`, `10.0.0.0/8`, `2001:db8::/32`,
 * `::ffff:10.0.0.1`. Pure functions: the config builder uses them to validate `allow`/`deny`, the request path to read
 * the connection's address.
 */

export type IpFamily = 'ipv4' | 'ipv6';

export interface IpAddress {
  family: IpFamily;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

export interface Cidr extends IpAddress {
  /** Mask length in bits. */
  prefix: number;
  /** True when the written address had bits set below the mask (nginx warns and masks them off, as done here). */
  lowBitsCleared: boolean;
}

/** nginx's `ngx_inet_addr`: exactly four decimal octets 0–255 (leading zeros allowed, as nginx reads them). */
export function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!/^\d{1,3}$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

/** RFC 4291 §2.2 text forms, including `::` and a trailing dotted IPv4 part; no zone index. */
export function parseIpv6(text: string): Uint8Array | null {
  if (text.length === 0 || text.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string): number[] | null => {
    if (half === '') return [];
    const out: number[] = [];
    const parts = half.split(':');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4(part);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(part)) out.push(parseInt(part, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  // A dotted part is allowed only at the very end.
  if (halves.length === 2 && halves[0]!.includes('.')) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** The connection's address as Node reports it (`127.0.0.1`, `::1`, `::ffff:127.0.0.1`, `fe80::1%eth0`). */
export function parseIpAddress(text: string): IpAddress | null {
  const v4 = parseIpv4(text);
  if (v4) return { family: 'ipv4', bytes: v4 };
  const zone = text.indexOf('%');
  const v6 = parseIpv6(zone === -1 ? text : text.slice(0, zone));
  return v6 ? { family: 'ipv6', bytes: v6 } : null;
}

/** `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2): an IPv4 client on a dual-stack listener. */
export function mappedIpv4(address: IpAddress): Uint8Array | null {
  if (address.family !== 'ipv6') return null;
  const b = address.bytes;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return null;
  if (b[10] !== 0xff || b[11] !== 0xff) return null;
  return b.slice(12, 16);
}

/** nginx's `ngx_ptocidr`: an address with an optional `/bits`; null when nginx says "invalid parameter". */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const v4 = parseIpv4(addressText);
  const bytes = v4 ?? parseIpv6(addressText);
  if (!bytes) return null;
  const family: IpFamily = v4 ? 'ipv4' : 'ipv6';
  const bits = bytes.length * 8;
  let prefix = bits;
  if (slash !== -1) {
    const m = /^\d+$/.exec(text.slice(slash + 1));
    if (!m) return null;
    prefix = Number(m[0]);
    if (prefix > bits) return null;
  }
  let lowBitsCleared = false;
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - 8 * i));
    const mask = keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
    if ((bytes[i]! & mask) !== bytes[i]) lowBitsCleared = true;
    bytes[i] = bytes[i]! & mask;
  }
  return { family, bytes, prefix, lowBitsCleared };
}

/** Whether `address` (same family) lies inside `cidr`. */
export function cidrContains(cidr: Cidr, bytes: Uint8Array): boolean {
  let bits = cidr.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((bytes[i]! & mask) !== cidr.bytes[i]) return false;
  }
  return true;
}
