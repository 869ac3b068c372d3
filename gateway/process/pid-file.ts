import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { GatewayError } from '../errors.js';

/**
 * `pid FILE;` (nginx's): the master writes its pid once every listener is up and removes the file when it stops, so
 * `session-gateway reload|stop|quit -c FILE` (and systemd's PIDFile=) find the running master.
 */
export function writePidFile(file: string): void {
  try {
    writeFileSync(file, `${process.pid}\n`);
  } catch (err) {
    throw new GatewayError('SG_PID_FILE', `cannot write the pid file "${file}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 500, { cause: err });
  }
}

/** Remove the file only if it is still ours (a second master may have written it since). */
export function removePidFile(file: string): void {
  try {
    if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file);
  } catch {
    // Already gone: nothing to do.
  }
}

/** The pid a pid file names; a missing, empty or non-numeric file is an SG_PID_FILE error that says which. */
export function readPidFile(file: string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GatewayError('SG_PID_FILE', code === 'ENOENT' ? `no pid file "${file}": is the gateway running?` : `cannot read the pid file "${file}": ${code ?? (err as Error).message}`);
  }
  const pid = Number(text);
  if (!/^\d+$/.test(text) || pid <= 1) throw new GatewayError('SG_PID_FILE', `the pid file "${file}" does not hold a pid ("${text.slice(0, 20)}")`);
  return pid;
}
