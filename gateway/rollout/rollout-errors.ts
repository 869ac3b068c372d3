import { GatewayError } from '../errors.js';

/**
 * Why a rollout did not run or did not finish. `refused`: nothing was changed (unsafe start, lock held). `aborted`:
 * it stopped part-way; the backend it was on is left in MAINT, the others untouched.
 */
export class RolloutError extends GatewayError {
  readonly outcome: 'refused' | 'aborted';
  readonly backend: string | null;

  constructor(code: string, message: string, outcome: 'refused' | 'aborted', backend: string | null = null) {
    super(code, message, 409);
    this.outcome = outcome;
    this.backend = backend;
  }
}
