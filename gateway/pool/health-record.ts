import type { HealthState } from './backend.js';

/** The result of one active health check. */
export interface CheckResult {
  ok: boolean;
  /** Status code or error code, for logs and the admin API. */
  detail: string;
}

/**
 * Active health of one backend as rise/fall counts (docs/architecture.md §6). UNKNOWN until the first check completes; the first
 * result decides at once (a gateway that starts next to a dead backend must not route to it for `fall` intervals);
 * after that it takes `rise` successes in a row to become HEALTHY and `fall` failures in a row to become UNHEALTHY.
 * `checkSeq` counts completed checks, so an observer (the rollout) can ask for `rise` fresh successes without
 * comparing clocks.
 */
export class HealthRecord {
  state: HealthState = 'UNKNOWN';
  okStreak = 0;
  failStreak = 0;
  checkSeq = 0;
  lastDetail = '';
  lastCheckAt = 0;

  /** Apply one result; returns the new state when it changed, else null. */
  apply(result: CheckResult, rise: number, fall: number, now: number): HealthState | null {
    this.checkSeq++;
    this.lastDetail = result.detail;
    this.lastCheckAt = now;
    if (result.ok) {
      this.okStreak++;
      this.failStreak = 0;
    } else {
      this.failStreak++;
      this.okStreak = 0;
    }
    const before = this.state;
    if (before === 'UNKNOWN') this.state = result.ok ? 'HEALTHY' : 'UNHEALTHY';
    else if (before === 'UNHEALTHY' && this.okStreak >= rise) this.state = 'HEALTHY';
    else if (before === 'HEALTHY' && this.failStreak >= fall) this.state = 'UNHEALTHY';
    return this.state === before ? null : this.state;
  }
}
