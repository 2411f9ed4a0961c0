import { execFileSync } from 'node:child_process';

/** The processes that `pid` started (its children), as `ps` lists them now. */
export function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map(Number).filter((n) => n > 0);
  } catch {
    // ps exits 1 when the process has no children.
    return [];
  }
}
