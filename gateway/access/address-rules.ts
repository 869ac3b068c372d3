import type { AddressRule } from './access-settings.js';
import { cidrContains, mappedIpv4, parseIpAddress, type Cidr } from './ip-address.js';

/**
 * nginx's access module (ngx_http_access_module.c) on one rule list: the rules are split by address family as nginx
 * does (`all` belongs to every family), the first rule of the client's family that matches decides, and no match
 * declines (neither allows nor denies). An IPv4 client on a dual-stack listener (`::ffff:a.b.c.d`) is checked against
 * the IPv4 rules when there are any, as nginx does. The address is always the connection's own: X-Forwarded-For and
 * friends never count (nginx without the realip module; docs/architecture.md §16).
 */

export type AddressVerdict = 'allow' | 'deny' | null;

interface Compiled {
  ipv4: Array<{ allow: boolean; cidr: Cidr | null }> | null;
  ipv6: Array<{ allow: boolean; cidr: Cidr | null }> | null;
}

const compiledRules = new WeakMap<AddressRule[], Compiled>();

function compile(rules: AddressRule[]): Compiled {
  let compiled = compiledRules.get(rules);
  if (compiled) return compiled;
  compiled = { ipv4: null, ipv6: null };
  for (const rule of rules) {
    const allow = rule.action === 'allow';
    if (rule.match === 'unix') continue;
    for (const family of ['ipv4', 'ipv6'] as const) {
      if (rule.match === 'all') (compiled[family] ??= []).push({ allow, cidr: null });
      else if (rule.match.family === family) (compiled[family] ??= []).push({ allow, cidr: rule.match });
    }
  }
  compiledRules.set(rules, compiled);
  return compiled;
}

function firstMatch(list: Array<{ allow: boolean; cidr: Cidr | null }>, bytes: Uint8Array): AddressVerdict {
  for (const rule of list) {
    if (rule.cidr === null || cidrContains(rule.cidr, bytes)) return rule.allow ? 'allow' : 'deny';
  }
  return null;
}

/** The verdict of `rules` for the connection address `remote` (Node's `socket.remoteAddress`). */
export function checkAddress(rules: AddressRule[], remote: string | undefined): AddressVerdict {
  const compiled = compile(rules);
  const address = remote === undefined ? null : parseIpAddress(remote);
  // A socket that already closed has no address: nothing can show it is allowed.
  if (!address) return compiled.ipv4 || compiled.ipv6 ? 'deny' : null;
  if (address.family === 'ipv4') return compiled.ipv4 ? firstMatch(compiled.ipv4, address.bytes) : null;
  const v4 = compiled.ipv4 ? mappedIpv4(address) : null;
  if (v4) return firstMatch(compiled.ipv4!, v4);
  return compiled.ipv6 ? firstMatch(compiled.ipv6, address.bytes) : null;
}
