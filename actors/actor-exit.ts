/** How the process or thread behind a forked, threaded or remote actor ended. */
export interface ActorExit {
  pid?: number;
  threadId?: number;
  /** The host agent (host:port) of a remote actor. */
  host?: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What a thread threw that ended it, or why a remote actor could not be reached. */
  error?: Error;
  /** A remote actor's connection closed: its process, its host agent or its host is gone. */
  connectionLost?: boolean;
}

/** Names the process or thread that ended and says how: "(pid 12) was killed by SIGKILL". */
export function describeExit(exit: ActorExit, explanation?: string): string {
  const where = exit.host ? ` on ${exit.host}` : '';
  const who = exit.pid !== undefined ? `(pid ${exit.pid}${where})` : exit.threadId !== undefined ? `(thread ${exit.threadId})` : `(${where.trim()})`;
  if (explanation) return `${who} ${explanation}`;
  if (exit.signal) return `${who} was killed by ${exit.signal}`;
  if (exit.error) return `${who} failed: ${exit.error.message}`;
  if (exit.connectionLost) return `${who} lost its connection (the actor process, its host agent or the host is gone)`;
  return `${who} exited with code ${exit.code}`;
}
