/** How the process or thread behind a forked or threaded actor ended. */
export interface ActorExit {
  pid?: number;
  threadId?: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What a thread threw that ended it. */
  error?: Error;
}

/** Names the process or thread that ended and says how: "(pid 12) was killed by SIGKILL". */
export function describeExit(exit: ActorExit, explanation?: string): string {
  const who = exit.pid !== undefined ? `(pid ${exit.pid})` : `(thread ${exit.threadId})`;
  if (explanation) return `${who} ${explanation}`;
  if (exit.signal) return `${who} was killed by ${exit.signal}`;
  if (exit.error) return `${who} failed: ${exit.error.message}`;
  return `${who} exited with code ${exit.code}`;
}
