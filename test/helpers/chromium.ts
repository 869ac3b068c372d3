import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import WebSocket from 'ws';
import { waitFor } from './wait-for.js';

/**
 * A real headless Chromium driven over the DevTools protocol: for what only a browser does on its own (sending
 * Origin and Sec-Fetch-Site, submitting a cross-site form, resolving a rebound name), where an HTTP client would only
 * show what the test told it to send. `.ci/run` installs the Debian `chromium` package.
 */

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? 'chromium';

export class Chromium {
  readonly #child: ChildProcess;
  readonly #profile: string;
  readonly #endpoint: string;

  private constructor(child: ChildProcess, profile: string, endpoint: string) {
    this.#child = child;
    this.#profile = profile;
    this.#endpoint = endpoint;
  }

  /** `hostRules`: Chromium's --host-resolver-rules, e.g. `MAP rebound.test 127.0.0.1` (a DNS name that points home). */
  static async launch(options: { hostRules?: string } = {}): Promise<Chromium> {
    const profile = mkdtempSync(join(tmpdir(), 'sg-chromium-'));
    const args = [
      '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check',
      '--remote-debugging-port=0', `--user-data-dir=${profile}`,
      ...(options.hostRules ? [`--host-resolver-rules=${options.hostRules}`] : []),
      'about:blank',
    ];
    // Its own process group: close() ends the renderers and helpers too, not only the browser process.
    const child = spawn(CHROMIUM, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const ws = await waitFor(() => {
      if (child.exitCode !== null) throw new Error(`chromium exited: ${stderr.slice(-500)}`);
      return /DevTools listening on (ws:\/\/[^\s]+)/.exec(stderr)?.[1];
    }, { timeoutMs: 30_000, what: 'chromium to listen' });
    return new Chromium(child, profile, new URL(ws).host);
  }

  /** A new tab. */
  async newPage(): Promise<Page> {
    const res = await request(`http://${this.#endpoint}/json/new?about:blank`, { method: 'PUT' });
    const target = (await res.body.json()) as { webSocketDebuggerUrl: string };
    const page = new Page(new WebSocket(target.webSocketDebuggerUrl));
    await page.opened;
    await page.send('Page.enable');
    await page.send('Runtime.enable');
    return page;
  }

  async close(): Promise<void> {
    if (this.#child.exitCode === null) {
      const exited = new Promise((resolve) => this.#child.once('exit', resolve));
      try {
        process.kill(-this.#child.pid!, 'SIGKILL');
      } catch {
        this.#child.kill('SIGKILL');
      }
      await exited;
    }
    // A helper process that was still writing may leave a file behind for a moment.
    rmSync(this.#profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

export class Page {
  readonly #ws: WebSocket;
  readonly opened: Promise<void>;
  #next = 1;
  readonly #pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  readonly #events: Array<{ method: string; params: Record<string, unknown> }> = [];

  constructor(ws: WebSocket) {
    this.#ws = ws;
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: Record<string, unknown>; error?: { message: string }; method?: string; params?: Record<string, unknown> };
      if (msg.id === undefined) {
        if (msg.method) this.#events.push({ method: msg.method, params: msg.params ?? {} });
        return;
      }
      const waiter = this.#pending.get(msg.id);
      this.#pending.delete(msg.id);
      if (msg.error) waiter?.reject(new Error(msg.error.message));
      else waiter?.resolve(msg.result ?? {});
    });
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Navigate and wait for the load event. */
  async goto(url: string): Promise<void> {
    const seen = this.#events.length;
    await this.send('Page.navigate', { url });
    await waitFor(() => this.#events.slice(seen).some((e) => e.method === 'Page.loadEventFired'), { timeoutMs: 30_000, what: `${url} to load` });
  }

  /** Evaluate an expression in the page (promises awaited) and return its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const result = await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    const details = result.exceptionDetails as { text?: string; exception?: { description?: string } } | undefined;
    if (details) throw new Error(`page threw: ${details.exception?.description ?? details.text}`);
    return (result.result as { value: T }).value;
  }

  close(): void {
    this.#ws.close();
  }
}
