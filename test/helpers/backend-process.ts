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

/** Start a real demo-app process on a free port (or the given one, to restart "the same" backend). */
export async function startDemoBackend(options: { port?: number; env?: NodeJS.ProcessEnv } = {}): Promise<DemoBackend> {
  const port = options.port ?? (await freePort());
  const name = `127.0.0.1:${port}`;
  const proc = new TestProcess(process.execPath, [demoApp, '--port', String(port), '--name', name], { SESSION_SECRET: TEST_SECRET, LOG_LEVEL: 'warn', ...options.env });
  const url = `http://${name}`;
  await waitFor(async () => {
    if (proc.child.exitCode !== null) throw new Error(`demo backend exited: ${proc.lines.join('\n')}`);
    const res = await request(`${url}/healthz`);
    await res.body.dump();
    return res.statusCode === 200;
  }, { what: `demo backend ${name}` });
  return { process: proc, port, name, url };
}
