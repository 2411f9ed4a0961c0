import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';

/** The processes that `pid` started (its children), as `ps` lists them now. */
export function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map(Number).filter((n) => n > 0);
  } catch {
    // ps exits 1 when the process has no children.
    return [];
  }
}

/** The processes whose working directory is `dir` now (a job's actors inherit the job's), from /proc. */
export function processesIn(dir: string): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).flatMap((name) => {
    try {
      return readlinkSync(`/proc/${name}/cwd`) === dir ? [Number(name)] : [];
    } catch (error) {
      // Gone since the listing, or not ours to inspect.
      if (['ENOENT', 'EACCES', 'ESRCH'].includes((error as NodeJS.ErrnoException).code ?? '')) return [];
      throw error;
    }
  });
}
