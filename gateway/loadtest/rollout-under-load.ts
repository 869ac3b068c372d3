import type { AdminClient } from '../cli/admin-client.js';
import { RolloutOrchestrator, type RolloutOptions, type RolloutResult } from '../rollout/orchestrator.js';
import type { ProgressSink, StepEvent } from '../rollout/progress.js';

export interface RolloutStep {
  /** Seconds since the load started. */
  atS: number;
  backend: string;
  step: StepEvent['step'];
  message: string;
}

/** A stretch of time a backend was out: `draining` (drain → drained) then `restarting` (drained → READY again). */
export interface RolloutBand {
  backend: string;
  kind: 'draining' | 'restarting';
  fromS: number;
  toS: number;
}

export interface RolloutRecord {
  result: RolloutResult;
  steps: RolloutStep[];
  bands: RolloutBand[];
}

/** The bands drawn on the report's timeline, from the rollout's steps (an aborted backend's band ends at the abort). */
export function bandsOf(steps: readonly RolloutStep[], endS: number): RolloutBand[] {
  const bands: RolloutBand[] = [];
  let open: RolloutBand | null = null;
  const close = (atS: number) => {
    if (open) bands.push({ ...open, toS: Math.max(open.fromS, atS) });
    open = null;
  };
  for (const s of steps) {
    if (s.step === 'drain') {
      close(s.atS);
      open = { backend: s.backend, kind: 'draining', fromS: s.atS, toS: s.atS };
    } else if (s.step === 'drained' && open) {
      close(s.atS);
      open = { backend: s.backend, kind: 'restarting', fromS: s.atS, toS: s.atS };
    } else if (s.step === 'ready' || s.step === 'abort') close(s.atS);
  }
  close(endS);
  return bands;
}

/**
 * The rolling restart of `session-gateway rolling-restart`, run in this process through the same admin API while
 * the load goes on (docs/architecture.md §15); every step is timed against the load's clock for the report and
 * passed on to `progress` (the command's own display).
 */
export async function runRolloutUnderLoad(client: AdminClient, options: RolloutOptions, elapsedS: () => number, progress: ProgressSink): Promise<RolloutRecord> {
  const steps: RolloutStep[] = [];
  const sink: ProgressSink = {
    step(event) {
      steps.push({ atS: elapsedS(), backend: event.backend, step: event.step, message: event.message });
      progress.step(event);
    },
    finish() {
      progress.finish();
    },
  };
  const result = await new RolloutOrchestrator(client, options, sink).run();
  return { result, steps, bands: bandsOf(steps, elapsedS()) };
}
