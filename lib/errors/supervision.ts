/**
 * Losses the job's supervision handles: workers, masters and actors whose
 * process or thread ended, payloads gone with them, and the failure once a
 * stage lost more than its policy allows (see docs/supervision.md).
 */
import { SolsticeError, registerErrorClasses } from './base.js';

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

/**
 * An actor's process or thread ended before the actor was created; `exit`
 * says how (its `error`, if any, is the `cause`).
 */
export class ActorExitedError extends SolsticeError {
  override readonly name: string = 'ActorExitedError';

  constructor(readonly exit: ActorExit) {
    super(`Actor ${describeExit(exit)} before the actor was created`, exit.error ? { cause: exit.error } : undefined);
  }

  override details(): Record<string, unknown> {
    const { error: _error, ...exit } = this.exit;
    return { exit };
  }
}

/**
 * A worker's process or thread ended, or stopped answering heartbeats, while
 * the job ran. The job restarts from its last completed checkpoint as the
 * stage's supervision policy allows (see docs/supervision.md).
 */
export class WorkerLostError extends SolsticeError {
  override readonly name: string = 'WorkerLostError';

  /** `splitId`: the split it was processing, if any; `starting`: it was lost before it was ready to run. */
  constructor(
    readonly stage: string,
    readonly workerIndex: number,
    readonly splitId: string | undefined,
    readonly reason: string,
    readonly starting = false,
  ) {
    super(`Worker ${workerIndex} of stage '${stage}' ${reason} ${starting ? 'while starting' : splitId ? `while processing split '${splitId}'` : 'while idle'}`);
  }

  override details(): Record<string, unknown> {
    return { stage: this.stage, workerIndex: this.workerIndex, splitId: this.splitId, reason: this.reason, starting: this.starting };
  }
}

/**
 * The process or thread of a master (the MetaService, the GlobalStateMaster,
 * or the StageMaster of `stage`) placed outside the job's process ended.
 * Like a lost worker, it restarts the job from its last completed
 * checkpoint: counted against the stage for a StageMaster, against the
 * job's own policy for the others.
 */
export class MasterLostError extends SolsticeError {
  override readonly name: string = 'MasterLostError';

  constructor(readonly master: string, readonly stage: string | undefined, readonly reason: string) {
    super(`${stage === undefined ? `The job's ${master}` : `The ${master} of stage '${stage}'`} ${reason}`);
  }

  override details(): Record<string, unknown> {
    return { master: this.master, stage: this.stage, reason: this.reason };
  }
}

/**
 * A payload could not be fetched from the process or thread that held it:
 * that process is gone or unreachable. Like a lost worker, it restarts the job
 * from its last completed checkpoint, counted against `stage`, the stage that
 * produced the payload.
 */
export class PayloadUnavailableError extends SolsticeError {
  override readonly name: string = 'PayloadUnavailableError';

  constructor(readonly stage: string, readonly splitId: string, readonly address: string, cause: Error) {
    super(`Could not fetch the output of split '${splitId}' from ${address}: ${cause.message}`, { cause });
  }

  override details(): Record<string, unknown> {
    return { stage: this.stage, splitId: this.splitId, address: this.address };
  }
}

/**
 * A stage was asked to make an output again (its consumer lost it with the
 * process that held it) and could not: it keeps no record of how the output
 * was made, or it is stopping.
 */
export class OutputLostError extends SolsticeError {
  override readonly name: string = 'OutputLostError';

  constructor(readonly stage: string, readonly splitId: string | undefined, why: string) {
    super(`Stage '${stage}' cannot make ${splitId ? `the output of split '${splitId}'` : 'its lost outputs'} again: ${why}`);
  }

  override details(): Record<string, unknown> {
    return { stage: this.stage, splitId: this.splitId };
  }
}

/**
 * A stage's workers (or its master) failed more often than its supervision
 * policy allows; `cause` is the last failure. `stage` is the stage, or the
 * master (MetaService, GlobalStateMaster) whose losses count against the
 * job's own policy.
 */
export class SupervisionError extends SolsticeError {
  override readonly name: string = 'SupervisionError';

  constructor(readonly stage: string, readonly splitId: string | undefined, readonly failures: number, readonly withinSecs: number, cause: Error) {
    const subject = cause instanceof MasterLostError && cause.stage === undefined ? `The job lost its ${stage}` : `Stage '${stage}' lost workers`;
    super(
      `${subject} ${failures} times within ${withinSecs} s, more than its supervision policy allows; ` +
        `the job fails${splitId ? ` (last split: '${splitId}')` : ''}. Last failure: ${cause.message}`,
      { cause },
    );
  }

  override details(): Record<string, unknown> {
    return { stage: this.stage, splitId: this.splitId, failures: this.failures, withinSecs: this.withinSecs };
  }
}

registerErrorClasses({ ActorExitedError, WorkerLostError, MasterLostError, PayloadUnavailableError, OutputLostError, SupervisionError });
