import { spawn } from 'node:child_process';

/** What `--exec` gets for one backend: `{name}` (host:port), `{host}`, `{port}`. */
export interface RestartTarget {
  name: string;
  host: string;
  port: number;
}

/** Quote a value for `sh -c` only when it needs it (names are host:port, which never does). */
function shellQuote(value: string): string {
  return /^[A-Za-z0-9._:@%+=,/-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export function expandRestartCommand(template: string, target: RestartTarget): string {
  return template
    .replaceAll('{name}', shellQuote(target.name))
    .replaceAll('{host}', shellQuote(target.host))
    .replaceAll('{port}', String(target.port));
}

export interface RestartOutcome {
  command: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** The last lines of its output, for the abort reason. */
  output: string;
}

/** Run the restart command through a shell, bounded by `timeoutMs` (then SIGKILL), keeping its last output lines. */
export function runRestartCommand(template: string, target: RestartTarget, timeoutMs: number): Promise<RestartOutcome> {
  const command = expandRestartCommand(template, target);
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-2_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ command, exitCode: null, signal: null, timedOut: false, output: err.message });
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ command, exitCode, signal, timedOut, output: output.trim().split('\n').slice(-5).join('\n') });
    });
  });
}
