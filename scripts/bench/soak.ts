import { runLoad } from './load-runner.js';
import { snapshot } from './proc-stats.js';
import type { SoakResult } from './report-types.js';
import type { Target } from './stack.js';
import { judgeSoak } from './stats.js';

export const SOAK_SAMPLE_S = 10;

/** Every 10 s, or more often for a short soak so that it still has ~15 samples to fit a line through. */
export function soakSampleSeconds(minutes: number): number {
  return Math.max(1, Math.min(SOAK_SAMPLE_S, (minutes * 60) / 15));
}

/** `minutes` of full-speed load on the main path, sampling the gateway's RSS every 10 s (see soakSampleSeconds). */
export async function runSoak(target: Target, minutes: number, connections: number, cookies: readonly string[], onProgress: (fraction: number, rssBytes: number) => void): Promise<SoakResult> {
  const samples: Array<{ tS: number; rssBytes: number }> = [];
  const started = performance.now();
  const sample = () => {
    const rssBytes = snapshot(target.child.pid).rssBytes;
    const tS = (performance.now() - started) / 1000;
    // The final sample right after the last interval sample would only add noise to the fit.
    if (tS - (samples.at(-1)?.tS ?? -Infinity) < 1) return rssBytes;
    samples.push({ tS, rssBytes });
    return rssBytes;
  };
  sample();
  const timer = setInterval(sample, soakSampleSeconds(minutes) * 1000);
  let lastRss = samples[0]?.rssBytes ?? 0;
  try {
    const run = await runLoad({ port: target.port, path: '/', connections, durationS: minutes * 60, rate: null, cookies }, (f) => {
      lastRss = samples.at(-1)?.rssBytes ?? lastRss;
      onProgress(f, lastRss);
    });
    sample();
    const judged = judgeSoak(samples);
    return { minutes, samples, requests: run.requests, errors: run.non2xx + run.socketErrors, rps: run.rps, ...judged };
  } finally {
    clearInterval(timer);
  }
}
