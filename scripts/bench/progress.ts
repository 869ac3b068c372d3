/**
 * Progress on stderr: a line per step always; on a TTY also a bar redrawn in place while a run lasts. stdout stays
 * free for --json.
 */
export class Progress {
  readonly #tty: boolean;
  readonly #out: NodeJS.WriteStream;
  readonly #started = Date.now();
  #barShown = false;
  #step = 0;
  readonly #total: number;

  constructor(totalSteps: number, out: NodeJS.WriteStream = process.stderr) {
    this.#out = out;
    this.#tty = Boolean(out.isTTY);
    this.#total = totalSteps;
  }

  #elapsed(): string {
    const s = Math.round((Date.now() - this.#started) / 1000);
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  }

  #clearBar(): void {
    if (this.#tty && this.#barShown) {
      this.#out.write('\r\x1b[2K');
      this.#barShown = false;
    }
  }

  /** A new step: `[3/20 0:41] gateway + session, Redis (main) — round 1`. */
  step(text: string): void {
    this.#clearBar();
    this.#step += 1;
    this.#out.write(`[${Math.min(this.#step, this.#total)}/${this.#total} ${this.#elapsed()}] ${text}\n`);
  }

  info(text: string): void {
    this.#clearBar();
    this.#out.write(`      ${text}\n`);
  }

  /** Redraws the bar (TTY only). */
  bar(fraction: number, text = ''): void {
    if (!this.#tty) return;
    const width = 30;
    const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
    this.#out.write(`\r\x1b[2K      [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(fraction * 100)}% ${text}`);
    this.#barShown = true;
  }

  done(): void {
    this.#clearBar();
  }
}
