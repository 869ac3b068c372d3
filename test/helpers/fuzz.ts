import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

/**
 * Seeded fuzzing in the suite: each property runs with fast-check under a fixed seed (FUZZ_SEED overrides it to
 * explore; a failure prints the seed and path that reproduce it) and a fixed number of runs, in a worker thread, so
 * a parser that hangs (a runaway regular expression, an endless loop) fails its test at the deadline instead of
 * hanging the suite: synchronous code cannot be interrupted from its own thread.
 */

export const FUZZ_SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : 0x5e55_1008;

/** fast-check parameters every fuzz property uses. */
export function fuzzParameters(numRuns: number): { seed: number; numRuns: number } {
  return { seed: FUZZ_SEED, numRuns };
}

/** In the test file's main thread: run `property` of the same file in a worker; reject on failure or past `timeoutMs`. */
export function fuzzInWorker(file: string | URL, property: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(file, { workerData: { property } });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`fuzzing ${property} did not finish in ${timeoutMs} ms: a parser hangs (seed ${FUZZ_SEED})`));
    }, timeoutMs);
    worker.once('message', (msg: { ok: boolean; error?: string }) => {
      clearTimeout(timer);
      void worker.terminate();
      if (msg.ok) resolve();
      else reject(new Error(msg.error));
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** In the worker: run the property the main thread asked for and report. Returns true when this is the worker. */
export function servePropertiesInWorker(properties: Record<string, () => void>): boolean {
  if (isMainThread) return false;
  const name = (workerData as { property: string }).property;
  try {
    const property = properties[name];
    if (!property) throw new Error(`no fuzz property ${name}`);
    property();
    parentPort!.postMessage({ ok: true });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
  return true;
}
