/** Errors of a running job: user code that threw, and a job stopped before it finished. */
import { SolsticeError, describeCause, registerErrorClasses } from './base.js';

/** A user operator threw while processing a split; `cause` is what it threw. */
export class OperatorError extends SolsticeError {
  override readonly name: string = 'OperatorError';

  constructor(readonly stage: string, readonly splitId: string, cause: unknown) {
    super(`Stage '${stage}' failed on split '${splitId}': ${describeCause(cause)}`, { cause });
  }

  override details(): Record<string, unknown> {
    return { stage: this.stage, splitId: this.splitId };
  }
}

/** A user row function threw; names the row (1-based, within the split) it threw on. */
export class RowFunctionError extends SolsticeError {
  override readonly name: string = 'RowFunctionError';

  constructor(readonly row: number, value: unknown, cause: unknown) {
    super(`row ${row} (${preview(value)}): ${describeCause(cause)}`, { cause });
  }

  override details(): Record<string, unknown> {
    return { row: this.row };
  }
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** An operator ran on a split past its stage's `splitTimeoutSecs` (a hang, an endless loop). */
export class SplitTimeoutError extends SolsticeError {
  override readonly name: string = 'SplitTimeoutError';

  constructor(readonly stage: string, readonly splitId: string, readonly timeoutSecs: number, readonly workerKilled = false) {
    super(`Stage '${stage}' ran on split '${splitId}' for more than its splitTimeoutSecs (${timeoutSecs} s)${workerKilled ? '; its worker did not answer and was replaced' : ''}`);
  }

  override details(): Record<string, unknown> {
    return { stage: this.stage, splitId: this.splitId, timeoutSecs: this.timeoutSecs, workerKilled: this.workerKilled };
  }
}

/**
 * The job was stopped before it finished: by `runner.stop()`, an aborted
 * `run({ signal })`, SIGINT or SIGTERM. `reason` is what the stop was given
 * (the signal's abort reason); `checkpointId` the checkpoint a draining stop
 * took, from which the job resumes with all it had read before the stop.
 */
export class JobStoppedError extends SolsticeError {
  override readonly name: string = 'JobStoppedError';
  readonly reason?: unknown;
  readonly checkpointId?: number;

  constructor(message: string, options: { reason?: unknown; checkpointId?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.reason !== undefined) this.reason = options.reason;
    if (options.checkpointId !== undefined) this.checkpointId = options.checkpointId;
  }

  override details(): Record<string, unknown> {
    return this.checkpointId === undefined ? {} : { checkpointId: this.checkpointId };
  }
}

registerErrorClasses({ OperatorError, RowFunctionError, SplitTimeoutError, JobStoppedError });
