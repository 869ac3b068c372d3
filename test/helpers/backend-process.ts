import { request } from 'undici';
import { TestProcess } from './child-process.js';
import { demoApp } from './paths.js';
import { freePort } from './ports.js';
import { TEST_SECRET } from './gateway-process.js';
import { waitFor } from './wait-for.js';

export interface DemoBackend {
  process: TestProcess;
  port: number;
  name: string;
  url: string;
}

/** The demo backend could not bind the free port picked for it: another process took it in between. */
class PortTaken extends Error {}

/**
 * Start a real demo-app process on a free port (or the given one, to restart "the same" backend). A free port that
 * another process took before the backend bound it is replaced by a new one (never a port the caller chose).
 */
export async function startDemoBackend(options: { port?: number; env?: NodeJS.ProcessEnv } = {}): Promise<DemoBackend> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDemoBackendOnce(options.port ?? (await freePort()), options.env, options.port === undefined);
    } catch (err) {
      if (!(err instanceof PortTaken) || attempt === 3) throw err;
    }
  }
}

async function startDemoBackendOnce(port: number, env: NodeJS.ProcessEnv = {}, ourPort: boolean): Promise<DemoBackend> {
  const name = `127.0.0.1:${port}`;
  const proc = new TestProcess(process.execPath, [demoApp, '--port', String(port), '--name', name], { SESSION_SECRET: TEST_SECRET, LOG_LEVEL: 'warn', ...env });
  const url = `http://${name}`;
  let exited: Error | null = null;
  // A node process starting on a busy machine can take many seconds (no timing is asserted).
  const healthy = waitFor(async () => {
    if (proc.child.exitCode !== null) {
      const output = proc.lines.join('\n');
      exited = ourPort && /EADDRINUSE/.test(output) ? new PortTaken(output) : new Error(`demo backend exited: ${output}`);
      return true;
    }
    // A probe that gets no answer (not the backend on that port) is retried, not waited on for undici's 300 s.
    const res = await request(`${url}/healthz`, { headersTimeout: 5_000, bodyTimeout: 5_000 });
    await res.body.dump();
    return res.statusCode === 200;
  }, { what: `demo backend ${name}`, timeoutMs: 60_000 });
  await healthy.catch(async (err: unknown) => {
    await proc.stop('SIGKILL');
    throw err;
  });
  if (exited) throw exited;
  return { process: proc, port, name, url };
}
