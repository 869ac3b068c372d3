import type { ProgressSink } from '../rollout/progress.js';
import type { Timeline } from './timeline.js';

/**
 * What the load test shows while it runs, on stderr (stdout stays free for --json): on a TTY a bar redrawn every
 * second with the last second's numbers; otherwise a line every 5 s. Rollout steps and set-up steps are lines.
 */
export class LoadProgress {
  readonly #out: NodeJS.WritableStream;
  readonly #tty: boolean;
  readonly #quiet: boolean;
  #barShown = false;

  constructor(out: NodeJS.WritableStream & { isTTY?: boolean }, options: { quiet?: boolean } = {}) {
    this.#out = out;
    this.#tty = out.isTTY === true;
    this.#quiet = options.quiet ?? false;
  }

  #clear(): void {
    if (this.#barShown) this.#out.write('\r\x1b[2K');
    this.#barShown = false;
  }

  line(text: string): void {
    if (this.#quiet) return;
    this.#clear();
    this.#out.write(`${text}\n`);
  }

  /** Called about once a second by the engine. */
  tick(timeline: Timeline, durationMs: number, broken: number, extra = ''): void {
    if (this.#quiet) return;
    const elapsed = timeline.elapsedMs();
    const last = timeline.seconds().at(-2) ?? timeline.seconds().at(-1);
    const failed = last ? last.failed.status + last.failed.socket + last.failed.timeout : 0;
    const text = `${(elapsed / 1000).toFixed(0)}s/${(durationMs / 1000).toFixed(0)}s ${last?.requests ?? 0} req/s, p99 ${(last?.latencyMs.p99 ?? 0).toFixed(1)} ms, failed ${failed}/s, broken ${broken}${extra ? ` · ${extra}` : ''}`;
    if (!this.#tty) {
      if (Math.round(elapsed / 1000) % 5 === 0) this.#out.write(`  ${text}\n`);
      return;
    }
    const width = 24;
    const filled = Math.round(Math.min(1, elapsed / Math.max(1, durationMs)) * width);
    this.#clear();
    this.#out.write(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`);
    this.#barShown = true;
  }

  /** The rollout's steps as lines between the bar's redraws. */
  rolloutSink(onStep: (text: string) => void): ProgressSink {
    return {
      step: (e) => {
        const text = `${e.backend ? `${e.backend} ` : ''}${e.step}: ${e.message}`;
        onStep(text);
        this.line(`  rollout | ${text}`);
      },
      finish: () => {},
    };
  }

  done(): void {
    this.#clear();
  }
}
