import { describeUnsupportedHash, hashScheme } from './password-hash.js';

/**
 * An htpasswd file read as nginx reads it (ngx_http_auth_basic_handler): one `user:hash` per line, the hash ending at
 * the next `:`, CR or LF (so `user:hash:comment` works), lines starting with `#` or CR skipped, the first line of a
 * user wins. nginx never reports a line it cannot use; here each one is a problem (`file:line: message`), so `check`
 * says which user could never log in and why. The text is latin1, one char per byte: names compare byte for byte.
 */

export interface HtpasswdEntry {
  hash: string;
  line: number;
}

export interface ParsedHtpasswd {
  entries: Map<string, HtpasswdEntry>;
  problems: Array<{ line: number; message: string }>;
}

export function parseHtpasswd(text: string): ParsedHtpasswd {
  const entries = new Map<string, HtpasswdEntry>();
  const problems: ParsedHtpasswd['problems'] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = i + 1;
    if (raw === '' || raw.startsWith('#') || raw.startsWith('\r')) continue;
    const colon = raw.indexOf(':');
    if (colon === -1) {
      problems.push({ line, message: 'not a "user:password-hash" line' });
      continue;
    }
    const user = raw.slice(0, colon);
    const hash = /^[^:\r]*/.exec(raw.slice(colon + 1))![0];
    if (user === '') {
      problems.push({ line, message: 'empty user name' });
      continue;
    }
    const shown = JSON.stringify(user.length > 64 ? `${user.slice(0, 64)}…` : user);
    const earlier = entries.get(user);
    if (earlier) {
      problems.push({ line, message: `user ${shown} is already defined on line ${earlier.line} (the first one is used)` });
      continue;
    }
    if (hashScheme(hash) === null) {
      problems.push({ line, message: `user ${shown} has ${describeUnsupportedHash(hash)}, which the gateway cannot verify (use htpasswd -B)` });
      continue;
    }
    entries.set(user, { hash, line });
  }
  return { entries, problems };
}
