import { GatewayError } from '../errors.js';

/** The command line or the scenario file is wrong; `problems` lists every one (`file:line: message` for a file). */
export class LoadtestUsageError extends GatewayError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('SG_LOADTEST_USAGE', problems.length === 1 ? problems[0]! : `invalid load test:\n${problems.join('\n')}`, 400);
    this.problems = problems;
  }
}

/** The load could not start: the login request or minting sessions failed, so there is nothing to measure. */
export class LoadtestSetupError extends GatewayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SG_LOADTEST_SETUP', message, 500, options);
  }
}
