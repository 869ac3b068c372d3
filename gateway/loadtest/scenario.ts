import { LineCounter, parseDocument, type Document } from 'yaml';
import { LoadtestUsageError } from './loadtest-errors.js';

/** One kind of request a virtual user sends (docs/architecture.md §15). `{user}` is replaced by its principal. */
export interface ScenarioRequest {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | null;
  /** Relative share of the requests (smooth weighted round robin, as nginx balances upstream servers). */
  weight: number;
  /** Statuses that count as success; null = any 2xx. */
  expect: number[] | null;
  /** The response may set or clear the session cookie without the session counting as broken (a re-login). */
  cookieMayChange: boolean;
}

export interface Scenario {
  requests: ScenarioRequest[];
  /** The app's own login request, sent once per virtual user before the load (instead of minting sessions). */
  login: ScenarioRequest | null;
}

export const DEFAULT_SCENARIO: Scenario = {
  requests: [{ name: 'GET /', method: 'GET', path: '/', headers: {}, body: null, weight: 1, expect: null, cookieMayChange: false }],
  login: null,
};

const METHOD = /^[A-Z]{1,16}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const KNOWN_KEYS = new Set(['name', 'method', 'path', 'headers', 'body', 'json', 'weight', 'expect', 'cookieMayChange']);

type Problem = (path: Array<string | number>, message: string) => void;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function statusList(value: unknown, at: Array<string | number>, problem: Problem): number[] | null {
  if (value === undefined) return null;
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((s) => Number.isInteger(s) && (s as number) >= 100 && (s as number) <= 599)) {
    problem([...at, 'expect'], 'expect must be a status (100-599) or a list of them');
    return null;
  }
  return list as number[];
}

function headersOf(value: unknown, at: Array<string | number>, problem: Problem): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value)) {
    problem([...at, 'headers'], 'headers must be a map of name: value');
    return {};
  }
  const headers: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    if (!HEADER_NAME.test(name) || (typeof v !== 'string' && typeof v !== 'number')) problem([...at, 'headers', name], `header ${JSON.stringify(name)} must be a token with a string value`);
    else headers[name.toLowerCase()] = String(v);
  }
  return headers;
}

/** `body` (text, sent as is) or `json` (any value, sent as JSON with its content type). */
function bodyOf(raw: Record<string, unknown>, headers: Record<string, string>, at: Array<string | number>, problem: Problem): string | null {
  if (raw.body !== undefined && raw.json !== undefined) problem([...at, 'json'], 'give body or json, not both');
  if (raw.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    return JSON.stringify(raw.json);
  }
  if (raw.body === undefined || raw.body === null) return null;
  if (typeof raw.body !== 'string') problem([...at, 'body'], 'body must be text (use json: for a JSON value)');
  return String(raw.body);
}

/** One request entry; every problem is reported through `problem`, a usable value is returned either way. */
export function requestOf(raw: unknown, at: Array<string | number>, problem: Problem): ScenarioRequest {
  if (!isObject(raw)) {
    problem(at, 'a request must be a map with at least path');
    return { ...DEFAULT_SCENARIO.requests[0]! };
  }
  for (const key of Object.keys(raw)) if (!KNOWN_KEYS.has(key)) problem([...at, key], `unknown key ${JSON.stringify(key)} (known: ${[...KNOWN_KEYS].join(', ')})`);
  const method = raw.method === undefined ? 'GET' : String(raw.method).toUpperCase();
  if (!METHOD.test(method)) problem([...at, 'method'], `method ${JSON.stringify(raw.method)} is not an HTTP method`);
  const path = typeof raw.path === 'string' ? raw.path : '';
  if (!path.startsWith('/')) problem([...at, 'path'], 'path is required and must start with /');
  const weight = raw.weight === undefined ? 1 : raw.weight;
  if (!Number.isInteger(weight) || (weight as number) < 1 || (weight as number) > 1_000_000) problem([...at, 'weight'], 'weight must be a whole number from 1 to 1000000');
  if (raw.cookieMayChange !== undefined && typeof raw.cookieMayChange !== 'boolean') problem([...at, 'cookieMayChange'], 'cookieMayChange must be true or false');
  const headers = headersOf(raw.headers, at, problem);
  const body = bodyOf(raw, headers, at, problem);
  const name = typeof raw.name === 'string' && raw.name !== '' ? raw.name : `${method} ${path}`;
  return { name, method, path, headers, body, weight: Number(weight) || 1, expect: statusList(raw.expect, at, problem), cookieMayChange: raw.cookieMayChange === true };
}

function lineOf(doc: Document, lines: LineCounter, path: Array<string | number>): number {
  // The deepest node of the path that exists (a missing key is reported at its map).
  for (let n = path.length; n >= 0; n--) {
    const node = (n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true)) as { range?: [number, number, number] } | null | undefined;
    if (node?.range) return lines.linePos(node.range[0]).line;
  }
  return 1;
}

/**
 * A scenario file, JSON or YAML (JSON is YAML): either a list of requests or `{requests: [...], login: {...}}`.
 * Every problem is reported at once, each as `file:line: message`.
 */
export function parseScenario(text: string, file: string): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) throw new LoadtestUsageError(doc.errors.map((e) => `${file}:${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`));
  const problems: string[] = [];
  const problem: Problem = (path, message) => problems.push(`${file}:${lineOf(doc, lines, path)}: ${message}`);
  const value = doc.toJS() as unknown;
  const top: Record<string, unknown> = Array.isArray(value) ? { requests: value } : isObject(value) ? value : {};
  if (!Array.isArray(value) && !isObject(value)) problem([], 'a scenario is a list of requests or a map with requests (and login)');
  const prefix = Array.isArray(value) ? [] : ['requests'];
  for (const key of Object.keys(Array.isArray(value) ? {} : top)) if (key !== 'requests' && key !== 'login') problem([key], `unknown key ${JSON.stringify(key)} (known: requests, login)`);
  const list = top.requests;
  if (!Array.isArray(list) || list.length === 0) problem(prefix, 'requests must be a non-empty list');
  const requests = (Array.isArray(list) ? list : []).map((raw, i) => requestOf(raw, [...prefix, i], problem));
  const names = new Map<string, number>();
  requests.forEach((r, i) => (names.has(r.name) ? problem([...prefix, i, 'name'], `two requests are named ${JSON.stringify(r.name)}: give each its own name`) : names.set(r.name, i)));
  const login = top.login === undefined ? null : { ...requestOf(top.login, ['login'], problem), cookieMayChange: true };
  if (problems.length > 0) throw new LoadtestUsageError(problems);
  return { requests, login };
}

/**
 * `--login "POST /login user={user}&password=secret"`: a method, a path and an optional body (JSON when it starts
 * with `{`, else a form). Without `expect`, a login may answer 2xx or 3xx (a form login redirects).
 */
export function parseLoginFlag(text: string): ScenarioRequest {
  const match = /^\s*([A-Za-z]+)\s+(\/\S*)(?:\s+([\s\S]+))?$/.exec(text);
  if (!match) throw new LoadtestUsageError([`--login must be "METHOD /path [body]" (got ${JSON.stringify(text)})`]);
  const method = match[1]!.toUpperCase();
  const body = match[3]?.trim() ?? null;
  const headers: Record<string, string> = {};
  if (body !== null) headers['content-type'] = body.startsWith('{') ? 'application/json' : 'application/x-www-form-urlencoded';
  return { name: 'login', method, path: match[2]!, headers, body, weight: 1, expect: null, cookieMayChange: true };
}
