import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

export interface TreeMeasurement {
  /** From spawn to exit, measured by the parent. */
  wallMs: number;
  /**
   * Peak resident memory of the process and its descendants (forked workers):
   * the largest sum of their VmRSS sampled every 20 ms, or the process's own
   * high-water mark (VmHWM) if larger, or what the process reports as its own
   * maxRSS (`selfMaxRssMiB`).
   */
  peakRssMiB: number;
  stdout: string;
  stderr: string;
}

const SAMPLE_MS = 20;

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0; // the process ended between listing and reading
  }
}

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text) children.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // ended meanwhile
  }
  return children;
}

function treeRssKiB(root: number): number {
  let total = 0;
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    total += statusKiB(pid, 'VmRSS');
    pending.push(...childrenOf(pid));
  }
  return total;
}

/**
 * Runs `command args` in its own process (Linux: reads /proc), and measures
 * its wall time and the peak memory of its process tree. Rejects if it exits
 * with a failure, with its stderr.
 */
export function measureProcessTree(command: string, args: string[], selfMaxRssMiB?: (stdout: string) => number): Promise<TreeMeasurement> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let peakKiB = 0;
    const sample = () => {
      if (child.pid === undefined) return;
      peakKiB = Math.max(peakKiB, treeRssKiB(child.pid), statusKiB(child.pid, 'VmHWM'));
    };
    const timer = setInterval(sample, SAMPLE_MS);
    child.on('error', (error) => {
      clearInterval(timer);
      reject(error);
    });
    let wallMs = 0;
    child.on('exit', () => {
      wallMs = performance.now() - started;
      clearInterval(timer);
    });
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}:\n${stderr}`));
        return;
      }
      const own = selfMaxRssMiB ? selfMaxRssMiB(stdout) : 0;
      resolve({ wallMs, peakRssMiB: Math.max(peakKiB / 1024, own), stdout, stderr });
    });
  });
}
