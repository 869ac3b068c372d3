import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync, statSync, type Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { Logger } from '../log.js';
import { parseHtpasswd, type HtpasswdEntry } from './htpasswd.js';
import { verifyPassword } from './password-hash.js';

/**
 * One htpasswd file at run time. nginx opens the file on every request, so an edit (a user added or removed) counts
 * at once; here it is read at start-up and read again when its size, mtime or inode changed, checked at most once a
 * second, so an edit counts within about a second without a reload (docs/architecture.md §16). A file that
 * disappears refuses every request with 403 and one that cannot be read with 500, as nginx does.
 *
 * A correct password is remembered (keyed by an HMAC of user and password under a per-process key, so the memory
 * holds no password): a browser sends its credentials on every request, and a bcrypt check costs milliseconds of CPU.
 * Checks that do need the hash run one at a time, so a flood of wrong passwords cannot stall the event loop for
 * everyone else. A user who does not exist costs a hash check too, so timing does not tell which users exist.
 */

export type UserFileState = 'ok' | 'missing' | 'unreadable';
export type PasswordCheck = 'ok' | 'unknown_user' | 'mismatch';

const RECHECK_MS = 1_000;
const REMEMBERED_MAX = 1_024;
const cacheKey = randomBytes(32);

/** Hash checks run one after the other (bcryptjs yields between rounds; several at once would all hold the loop). */
let verifyTail: Promise<unknown> = Promise.resolve();
function serially<T>(work: () => Promise<T>): Promise<T> {
  const run = verifyTail.then(work, work);
  verifyTail = run.catch(() => undefined);
  return run;
}

export class UserFile {
  readonly path: string;
  readonly #log: Logger;
  #state: UserFileState = 'missing';
  /** The error code of the last failed read, so each failure is logged once. */
  #failure: string | null = null;
  #entries = new Map<string, HtpasswdEntry>();
  /** A hash of the file's own scheme, checked for unknown users. */
  #decoy: string | null = null;
  #identity = '';
  #checkedAt = 0;
  #refreshing = false;
  readonly #remembered = new Map<string, string>();

  constructor(path: string, log: Logger) {
    this.path = path;
    this.#log = log;
    try {
      const stats = statSync(this.path);
      this.#apply(readFileSync(this.path).toString('latin1'), stats);
    } catch (err) {
      this.#fail(err);
    }
    this.#checkedAt = Date.now();
  }

  get state(): UserFileState {
    return this.#state;
  }

  get users(): number {
    return this.#entries.size;
  }

  /** Starts a re-read when the last look at the file is over a second old; never waits for it. */
  refreshIfStale(now = Date.now()): void {
    if (this.#refreshing || now - this.#checkedAt < RECHECK_MS) return;
    this.#refreshing = true;
    this.#checkedAt = now;
    this.#refresh().finally(() => {
      this.#refreshing = false;
    });
  }

  /** Re-reads the file if it changed (or could not be read last time); resolves when done. */
  async #refresh(): Promise<void> {
    try {
      const stats = await stat(this.path);
      if (this.#state === 'ok' && identityOf(stats) === this.#identity) return;
      const text = (await readFile(this.path)).toString('latin1');
      this.#apply(text, stats);
      this.#log.info({ event: 'access.user_file_loaded', file: this.path, users: this.#entries.size }, `user file ${this.path} read again: ${this.#entries.size} user(s)`);
    } catch (err) {
      this.#fail(err);
    }
  }

  #apply(text: string, stats: Stats): void {
    const parsed = parseHtpasswd(text);
    for (const p of parsed.problems) {
      this.#log.warn({ event: 'access.user_file_problem', file: this.path, line: p.line }, `${this.path}:${p.line}: ${p.message}`);
    }
    this.#entries = parsed.entries;
    this.#decoy = parsed.entries.values().next().value?.hash ?? null;
    this.#identity = identityOf(stats);
    this.#state = 'ok';
    this.#failure = null;
    this.#remembered.clear();
  }

  #fail(err: unknown): void {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    if (code !== this.#failure) {
      this.#log.error({ event: 'access.user_file_failed', code: 'SG_AUTH_USER_FILE', file: this.path, cause: code }, `user file ${this.path} cannot be read (${code}): requests it protects are refused`);
    }
    this.#failure = code;
    this.#state = code === 'ENOENT' ? 'missing' : 'unreadable';
    this.#entries = new Map();
    this.#remembered.clear();
  }

  async check(user: string, password: Buffer): Promise<PasswordCheck> {
    const entry = this.#entries.get(user);
    if (!entry) {
      if (this.#decoy !== null) await serially(() => verifyPassword(password, this.#decoy!));
      return 'unknown_user';
    }
    const key = createHmac('sha256', cacheKey).update(user, 'latin1').update('\0').update(password).digest('base64');
    if (this.#remembered.get(key) === entry.hash) {
      // Least recently used goes first when the map is full: move this one to the end.
      this.#remembered.delete(key);
      this.#remembered.set(key, entry.hash);
      return 'ok';
    }
    const ok = await serially(() => verifyPassword(password, entry.hash));
    if (!ok) return 'mismatch';
    this.#remembered.set(key, entry.hash);
    if (this.#remembered.size > REMEMBERED_MAX) this.#remembered.delete(this.#remembered.keys().next().value!);
    return 'ok';
  }
}

function identityOf(stats: Stats): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
}
