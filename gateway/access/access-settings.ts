import type { Cidr } from './ip-address.js';

/**
 * What a location's access control is made of, as the config builder reads it from nginx's directives
 * (docs/architecture.md §16). Plain data: the request path compiles nothing per request.
 */

/** One `allow` / `deny` line. `all` matches every client, `unix:` only clients of a UNIX socket (the gateway has none). */
export interface AddressRule {
  action: 'allow' | 'deny';
  match: Cidr | 'all' | 'unix';
  /** As written, for log lines. */
  text: string;
}

/** `auth_basic REALM` with the `auth_basic_user_file` that applies to it. */
export interface BasicAuthSettings {
  realm: string;
  /** Absolute path of the htpasswd file. */
  userFile: string;
  /** `file:line` of the auth_basic_user_file directive, for messages. */
  source: string;
}

/** The rules a request is checked against: one level's, or a `limit_except` block's. */
export interface AccessRules {
  /** null: no allow/deny applies (nginx's access module declines). */
  addressRules: AddressRule[] | null;
  /** null: `auth_basic off` (the default). */
  basicAuth: BasicAuthSettings | null;
}

export interface LimitExceptSettings extends AccessRules {
  /** Upper-case methods that are not restricted by the block (GET implies HEAD, as in nginx). */
  methods: string[];
  source: string;
}

export interface AccessSettings extends AccessRules {
  /** `satisfy any`: either the address rules or the credentials admit the request; `all` (default): both must. */
  satisfy: 'all' | 'any';
  /** `auth_delay`: a 401 is answered this much later (a brute-force brake). */
  authDelayMs: number;
  /** `internal`: external requests get 404 (the gateway makes no internal redirects, so every request does). */
  internal: boolean;
  limitExcept: LimitExceptSettings | null;
  /** False when nothing above can refuse a request: the request path skips access control entirely. */
  restricted: boolean;
}

export const OPEN_ACCESS: AccessSettings = {
  addressRules: null, basicAuth: null, satisfy: 'all', authDelayMs: 0, internal: false, limitExcept: null, restricted: false,
};
