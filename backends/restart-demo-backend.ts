#!/usr/bin/env node
import { demoPidFile, readPidFile } from './demo/runtime-dir.js';

/**
 * The restart command for the demo started by `npm start`:
 *   session-gateway rolling-restart --exec "node dist/backends/restart-demo-backend.js {port}"
 * Sends SIGTERM to the backend on PORT (pid from run-demo's pid file; the backend stops gracefully) and waits until
 * run-demo has started a new process for it (a new pid in the pid file). Waiting for it to be healthy is the
 * rollout's job. Exit 0 on success, 1 with a reason otherwise.
 */

const TIMEOUT_MS = 30_000;

async function main(): Promise<number> {
  const port = process.argv[2];
  if (!port || !/^\d{1,5}$/.test(port)) {
    process.stderr.write('usage: restart-demo-backend PORT\n');
    return 2;
  }
  const file = demoPidFile(port);
  const oldPid = readPidFile(file);
  if (oldPid === null) {
    process.stderr.write(`restart-demo-backend: no pid file ${file} (is \`npm start\` running?)\n`);
    return 1;
  }
  try {
    process.kill(oldPid, 'SIGTERM');
  } catch (err) {
    process.stderr.write(`restart-demo-backend: cannot signal pid ${oldPid}: ${(err as Error).message}\n`);
    return 1;
  }
  const deadline = Date.now() + TIMEOUT_MS;
  while (Date.now() < deadline) {
    const pid = readPidFile(file);
    if (pid !== null && pid !== oldPid) {
      process.stdout.write(`restarted backend on port ${port}: pid ${oldPid} → ${pid}\n`);
      return 0;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  process.stderr.write(`restart-demo-backend: no new process on port ${port} within ${TIMEOUT_MS / 1000} s\n`);
  return 1;
}

process.exitCode = await main();
