/**
 * What `GET /api/gateway` (and `session-gateway status`) says about the gateway's processes (docs/architecture.md
 * §12): which configuration generation serves, its workers, and how the last reload went.
 */

export interface WorkerReport {
  /** The master's number for this worker (cluster worker id). */
  id: number;
  pid: number;
  generation: number;
  state: 'starting' | 'serving' | 'stopping';
  startedAt: number;
  /** The package version this worker's own code read when it started (null until it listens): a reload runs the
   * build on disk, so after an upgrade the new workers report the new version and the master its old one. */
  version: string | null;
}

export interface ReloadReport {
  /** The generation the reload tried to start. */
  generation: number;
  at: number;
  ok: boolean;
  /** Every problem, `file:line: message` (config) or one line (a worker that could not start). */
  problems: string[];
  /** How long the switch took, ms (null when it failed). */
  tookMs: number | null;
}

export interface GatewayProcessReport {
  /** `master`: a master process and its workers; `single`: one process (`master_process off`, in-process tests). */
  mode: 'master' | 'single';
  pid: number;
  /** The package version of this process's code (the master's: a new build reaches it only by a restart). */
  version: string;
  config: string;
  /** 1 at start, +1 for every successful reload. */
  generation: number;
  workerProcesses: number;
  workerShutdownTimeoutMs: number;
  workers: WorkerReport[];
  /** Workers started again after dying on their own. */
  workerRestarts: number;
  lastReload: ReloadReport | null;
  startedAt: number;
}
