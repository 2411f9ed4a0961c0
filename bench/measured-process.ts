import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs one measurement in its own Node process, so timings and peak memory
 * are its own: `node <worker> ...args(dir)` with a fresh temporary folder,
 * removed afterwards. The worker prints one JSON line, which is returned.
 */
export function measureInOwnProcess<T>(worker: string, args: (dir: string) => string[]): T {
  const dir = mkdtempSync(join(tmpdir(), 'solstice-bench-'));
  try {
    const line = execFileSync(process.execPath, [worker, ...args(dir)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return JSON.parse(line) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
