import { randomUUID } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `solstice-<pid>-<random>.sock`: the pid of the process whose payload server listens there. */
const SOCKET_FILE = /^solstice-(\d+)-[0-9a-f]{8}\.sock$/;

let swept = false;

/**
 * A new path for this process's payload server's Unix socket, in the
 * temporary directory. A process removes its socket file when it exits, but
 * one killed with SIGKILL cannot: the first server a process starts removes
 * the socket files of processes that no longer run, so that a service whose
 * workers get killed now and then does not fill the directory.
 */
export function newSocketPath(): string {
  const dir = tmpdir();
  if (!swept) {
    swept = true;
    removeSocketFilesOfEndedProcesses(dir);
  }
  return join(dir, `solstice-${process.pid}-${randomUUID().slice(0, 8)}.sock`);
}

/** Removes, from `dir`, the payload socket files whose process is gone; returns their names. */
export function removeSocketFilesOfEndedProcesses(dir: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const pid = Number(SOCKET_FILE.exec(name)?.[1]);
    if (!pid || pid === process.pid || runs(pid)) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/** Whether process `pid` runs: signal 0 checks without sending. EPERM: it runs, as another user's. */
function runs(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
