import { cpus, release, totalmem, type as osType } from 'node:os';
import { hardFdLimit } from './child-process.js';
import { redisVersion } from './redis-launcher.js';
import type { MachineInfo } from './report-types.js';
import { nginxVersion } from './stack.js';

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryBytes: totalmem(),
    os: `${osType()} ${release()}`,
    node: process.version,
    redis: redisVersion(),
    nginx: nginxVersion(),
    fdLimit: hardFdLimit(),
  };
}
