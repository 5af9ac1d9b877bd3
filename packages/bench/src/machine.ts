/** The machine the numbers came from. */
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  readonly cpuModel: string;
  /** Logical CPUs the OS reports (os.cpus().length). */
  readonly cores: number;
  /** CPUs this process may use (os.availableParallelism()). */
  readonly availableParallelism: number;
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly arch: string;
  readonly totalMemGiB: number;
  /** 1-minute load average when the run started: a busy machine makes every number noise. */
  readonly loadAvgAtStart: number;
}

function cpuModelFromProc(): string | null {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? m[1]!.trim() : null;
  } catch {
    return null;
  }
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpuModel: cpuModelFromProc() ?? cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    availableParallelism: os.availableParallelism(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.type()} ${os.release()}`,
    arch: process.arch,
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAvgAtStart: os.loadavg()[0]!,
  };
}
