/**
 * Progress of a rollout, one event per step. On a TTY a bar line that rewrites itself; otherwise (and with --json,
 * on stderr) one plain line per step, so logs and CI output stay readable.
 */
export interface StepEvent {
  backend: string;
  index: number;
  total: number;
  step: 'check' | 'lock' | 'drain' | 'drained' | 'restart' | 'healthy' | 'ready' | 'settle' | 'done' | 'abort';
  message: string;
}

export interface ProgressSink {
  step(event: StepEvent): void;
  finish(): void;
}

const STEPS_PER_BACKEND = 6;
const ORDER: Record<StepEvent['step'], number> = { check: 0, lock: 0, drain: 1, drained: 2, restart: 3, healthy: 4, ready: 5, settle: 5, done: 6, abort: 0 };

export function createProgress(stream: NodeJS.WriteStream | NodeJS.WritableStream, tty: boolean): ProgressSink {
  const started = Date.now();
  let lastWidth = 0;
  return {
    step(e) {
      const elapsed = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
      if (!tty) {
        stream.write(`[${elapsed}s] ${e.total > 0 ? `${e.index + 1}/${e.total} ` : ''}${e.backend ? `${e.backend} ` : ''}${e.step}: ${e.message}\n`);
        return;
      }
      const done = e.total === 0 ? 0 : (e.index * STEPS_PER_BACKEND + ORDER[e.step]) / (e.total * STEPS_PER_BACKEND);
      const width = 24;
      const filled = Math.round(Math.min(1, done) * width);
      const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(done * 100)}% ${e.backend} ${e.step}: ${e.message}`;
      stream.write(`\r${line.padEnd(lastWidth)}`);
      lastWidth = line.length;
      // Keep a permanent line for the steps worth scrolling back to.
      if (e.step === 'done' || e.step === 'abort' || e.step === 'drained') {
        stream.write('\n');
        lastWidth = 0;
      }
    },
    finish() {
      if (tty && lastWidth > 0) stream.write('\n');
    },
  };
}
