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

/**
 * An answer did not complete within `--timeout`: counted as a timeout (its code in the report's error codes). The
 * bound is the whole answer, head and body, as `curl --max-time` or a browser's fetch deadline: a backend that
 * trickles its body a byte at a time never stalls long enough for a per-read timeout, yet the user waits it out.
 */
export class LoadtestTimeoutError extends GatewayError {
  constructor(timeoutMs: number) {
    super('SG_LOADTEST_TIMEOUT', `no complete answer within ${timeoutMs} ms`, 504);
  }
}
