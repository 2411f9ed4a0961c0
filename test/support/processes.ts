import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * The processes that `pid` started (its children, those that have exited but
 * were not yet waited for included), from /proc: also for this process, which
 * a `ps` it ran would count among its children.
 */
export function childPids(pid: number): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).flatMap((name) => {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch (error) {
      // Gone since the listing.
      if (['ENOENT', 'ESRCH'].includes((error as NodeJS.ErrnoException).code ?? '')) return [];
      throw error;
    }
    // "pid (command) state ppid ...": the command may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return ppid === pid ? [Number(name)] : [];
  });
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
