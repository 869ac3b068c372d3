import { differential, differs, get, same, type DiffCase } from '../../helpers/differential.js';

/**
 * nginx as the oracle for location selection on configs nobody wrote by hand: a fixed seed draws a server of prefix,
 * `=`, `^~` and regex locations, some nested, and the URIs that probe them (each name, each name without its final
 * "/", and random paths). Every location names itself to the backend, so any disagreement shows as another header,
 * or as a 301 on one side only. The seed is fixed: the same config and cases on every run.
 */
function random(seed: number): () => number {
  // mulberry32: small, deterministic, good enough to pick among a few choices.
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEGMENTS = ['a', 'b', 'ab', 'x', 'a.png', 'B', 'img'];
const REGEXES = ['~ ^/a/.*b$', '~* \\.PNG$', '~ /x/', '~ ^/(a|b)/(?<rest>.+)$', '~ b$', '~* ^/IMG'];

interface Drawn {
  text: string;
  /** Names a request may probe: the prefix or exact path. */
  probes: string[];
}

/** A server's locations and the cases probing them, drawn from `seed`. */
function drawGroup(seed: number): { locations: Drawn[]; cases: DiffCase[] } {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  let counter = 0;
  const seen = new Set<string>();

  const drawPath = (base: string): string => {
    let path = base;
    const depth = 1 + Math.floor(next() * 2);
    for (let i = 0; i < depth; i++) path += `${pick(SEGMENTS)}${next() < 0.6 ? '/' : ''}`;
    return path.endsWith('/') || next() < 0.5 ? path : `${path}/`;
  };

  /** One location, maybe with nested ones; never a name nginx would call a duplicate. */
  const drawLocation = (outer: string | null, depth: number): Drawn | null => {
    const id = `L${counter++}`;
    const kind = pick(['prefix', 'prefix', 'exact', 'noregex', 'regex']);
    if (kind === 'regex') return { text: `location ${pick(REGEXES)} { proxy_set_header X-Loc ${id}; proxy_pass http://app; }`, probes: [] };
    const path = drawPath(outer ?? '/');
    const key = `${kind === 'exact' ? '=' : ''}${path}`;
    if (seen.has(key)) return null;
    seen.add(key);
    const modifier = kind === 'exact' ? '= ' : kind === 'noregex' ? '^~ ' : '';
    const nested: Drawn[] = [];
    if (kind !== 'exact' && depth < 2) {
      for (let i = 0; i < Math.floor(next() * 3); i++) {
        const n = drawLocation(path, depth + 1);
        if (n) nested.push(n);
      }
    }
    return {
      text: `location ${modifier}${path} { proxy_set_header X-Loc ${id}; proxy_pass http://app; ${nested.map((n) => n.text).join(' ')} }`,
      probes: [path, ...nested.flatMap((n) => n.probes)],
    };
  };

  const locations: Drawn[] = [];
  while (locations.length < 24) {
    const l = drawLocation(null, 0);
    if (l) locations.push(l);
  }
  const probes = locations.flatMap((l) => l.probes);
  const uris = new Set<string>();
  for (const probe of probes) {
    uris.add(probe);
    if (probe.endsWith('/')) uris.add(probe.slice(0, -1));
    uris.add(`${probe}${pick(SEGMENTS)}`);
  }
  while (uris.size < 90) uris.add(drawPath('/').replace(/\/$/, next() < 0.5 ? '' : '/'));
  // A name without its final "/" that names no location itself gets nginx's 301: pages differ only by signature.
  const cases = [...uris].map((uri) => {
    const redirects = uri !== '/' && !uri.endsWith('/') && probes.includes(`${uri}/`) && !probes.includes(uri);
    return redirects ? differs(`${uri} (redirects)`, get(uri), ['page-signature']) : same(uri, get(uri));
  });
  return { locations, cases };
}

for (const seed of [0x5eed, 0xc0ffee]) {
  const { locations, cases } = drawGroup(seed);
  differential({
    name: `location selection on a seeded random config (seed ${seed.toString(16)})`,
    http: `
      upstream app { server {b0}; }
      server {
        listen {listen};
        location / { proxy_set_header X-Loc root; proxy_pass http://app; }
        ${locations.map((l) => l.text).join('\n        ')}
      }`,
    cases,
  });
}

const LABELS = ['a', 'b', 'shop', 'www', 'api', 'x1'];
const DOMAINS = ['b.test', 'example.com', 'shop.co.uk'];
const NAME_REGEXES = ['"~^(?<n>[a-z]+)\\.b\\.test$"', '~^www\\.', '~\\d', '"~^(api|shop)\\.(.+)$"'];

/** Servers with every kind of server_name, one of them the default_server, and the hosts that probe them. */
function drawServers(seed: number): { servers: string[]; cases: DiffCase[] } {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const host = () => `${next() < 0.5 ? `${pick(LABELS)}.` : ''}${pick(LABELS)}.${pick(DOMAINS)}`;
  const name = (): string => {
    const kind = pick(['exact', 'exact', 'leading', 'dot', 'trailing', 'regex']);
    if (kind === 'exact') return host();
    if (kind === 'leading') return `*.${pick(DOMAINS)}`;
    if (kind === 'dot') return `.${pick(LABELS)}.${pick(DOMAINS)}`;
    if (kind === 'trailing') return `${pick(LABELS)}.${pick(DOMAINS).split('.')[0]}.*`;
    return pick(NAME_REGEXES);
  };
  const defaultAt = Math.floor(next() * 12);
  const servers: string[] = [];
  const hosts = new Set<string>(['', 'nothing.invalid']);
  for (let i = 0; i < 12; i++) {
    const names = Array.from({ length: 1 + Math.floor(next() * 3) }, name);
    for (const n of names) if (!n.includes('~') && !n.includes('*')) hosts.add(n.replace(/^\./, ''));
    servers.push(`server { listen {listen}${i === defaultAt ? ' default_server' : ''}; server_name ${names.join(' ')};
        proxy_set_header X-Server "S${i} $server_name $1"; location / { proxy_pass http://app; } }`);
  }
  while (hosts.size < 60) hosts.add(host());
  const cases = [...hosts].map((h) => (h === '' ? same('HTTP/1.0 without Host', get('/', { host: null, version: '1.0' })) : same(h, get('/', { host: h }))));
  return { servers, cases };
}

for (const seed of [0x5e7, 0xbee]) {
  const { servers, cases } = drawServers(seed);
  differential({
    name: `server_name choice on a seeded random config (seed ${seed.toString(16)})`,
    http: `
      upstream app { server {b0}; }
      ${servers.join('\n      ')}`,
    cases,
  });
}
