/**
 * Typed errors a user can catch. Every error that crosses an actor boundary is
 * turned into a {@link SerializedError} and back into the same class by
 * {@link deserializeError}, so `instanceof` works on what `runner.run()` rejects with.
 */

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  details?: Record<string, unknown>;
  cause?: SerializedError;
}

/** Base class of every error raised by Solstice-node itself. */
export class SolsticeError extends Error {
  override readonly name: string = 'SolsticeError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  /** Structured fields that survive serialization (file, line, stage, ...). */
  details(): Record<string, unknown> {
    return {};
  }
}

/** The job's DAG is invalid: a cycle, an unknown upstream, a duplicate stage name, a bad parallelism. */
export class JobDefinitionError extends SolsticeError {
  override readonly name: string = 'JobDefinitionError';
}

/** A workflow module could not be found or does not export `createJob`. */
export class WorkflowNotFoundError extends SolsticeError {
  override readonly name: string = 'WorkflowNotFoundError';

  constructor(readonly workflow: string, reason: string, options?: { cause?: unknown }) {
    super(`Workflow '${workflow}': ${reason}`, options);
  }

  override details(): Record<string, unknown> {
    return { workflow: this.workflow };
  }
}

/** A stage name that the job does not have. */
export class StageNotFoundError extends JobDefinitionError {
  override readonly name: string = 'StageNotFoundError';

  constructor(readonly stage: string, known: string[]) {
    super(`Unknown stage '${stage}'; the job has: ${known.join(', ') || '(no stages)'}`);
  }

  override details(): Record<string, unknown> {
    return { stage: this.stage };
  }
}

/** An operator was given a configuration it cannot work with. */
export class OperatorConfigError extends SolsticeError {
  override readonly name: string = 'OperatorConfigError';
}

/** An input path that matches no file. */
export class InputNotFoundError extends SolsticeError {
  override readonly name: string = 'InputNotFoundError';

  constructor(readonly path: string) {
    super(`Input not found: '${path}' matches no file`);
  }

  override details(): Record<string, unknown> {
    return { path: this.path };
  }
}

/**
 * A record in an input file that cannot be read. `line` is 1-based and counts
 * physical lines of the file; `record` is the text of the offending record
 * (for a CSV record spanning lines, its line where the problem was found),
 * cut to {@link RECORD_TEXT_LIMIT} characters; both are undefined where there
 * is no such line (a Parquet file that cannot be read).
 */
export class InputFormatError extends SolsticeError {
  override readonly name: string = 'InputFormatError';
  readonly file: string;
  readonly line: number | undefined;
  readonly record: string | undefined;
  readonly reason: string;

  constructor(fields: { file: string; line?: number; record?: string; reason: string; cause?: unknown }) {
    super(`${fields.file}${fields.line !== undefined ? ` (line ${fields.line})` : ''}: ${fields.reason}`, { cause: fields.cause });
    this.file = fields.file;
    this.line = fields.line;
    this.record = fields.record === undefined ? undefined : cutRecordText(fields.record);
    this.reason = fields.reason;
  }

  override details(): Record<string, unknown> {
    return { file: this.file, line: this.line, record: this.record, reason: this.reason };
  }
}

/** How many characters of an offending record {@link InputFormatError} keeps. */
export const RECORD_TEXT_LIMIT = 200;

function cutRecordText(text: string): string {
  const line = text.endsWith('\r') ? text.slice(0, -1) : text;
  return line.length > RECORD_TEXT_LIMIT ? `${line.slice(0, RECORD_TEXT_LIMIT)}...` : line;
}

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

/** The job was stopped by `runner.stop()` before it finished. */
export class JobStoppedError extends SolsticeError {
  override readonly name: string = 'JobStoppedError';
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

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const serialized: SerializedError = { name: error.name, message: error.message, stack: error.stack };
  if (error instanceof SolsticeError) serialized.details = error.details();
  if (error.cause !== undefined) serialized.cause = serializeError(error.cause);
  return serialized;
}

type ErrorClass = abstract new (...args: never[]) => SolsticeError;

const errorClasses = new Map<string, ErrorClass>();

/**
 * Lets {@link deserializeError} rebuild errors of this class: an error class
 * whose `details()` returns its own fields by name is rebuilt with them.
 */
export function registerErrorClass(name: string, errorClass: ErrorClass): void {
  errorClasses.set(name, errorClass);
}

/** Rebuilds the typed error that {@link serializeError} described; unknown names become plain Errors. */
export function deserializeError(serialized: SerializedError): Error {
  const errorClass = errorClasses.get(serialized.name);
  // Reflect.construct gives a real Error (with its internal slot) whose prototype is the class's, without running its constructor.
  const error: Error = Reflect.construct(Error, [serialized.message], errorClass ?? Error);
  Object.assign(error, serialized.details ?? {});
  Object.defineProperties(error, {
    name: { value: serialized.name, enumerable: false, writable: true, configurable: true },
    message: { value: serialized.message, enumerable: false, writable: true, configurable: true },
    stack: { value: serialized.stack ?? `${serialized.name}: ${serialized.message}`, enumerable: false, writable: true, configurable: true },
  });
  if (serialized.cause) {
    Object.defineProperty(error, 'cause', { value: deserializeError(serialized.cause), enumerable: false, writable: true, configurable: true });
  }
  return error;
}

for (const [name, errorClass] of Object.entries({
  SolsticeError, JobDefinitionError, WorkflowNotFoundError, StageNotFoundError, OperatorConfigError,
  InputNotFoundError, InputFormatError, OperatorError, JobStoppedError, WorkerLostError, MasterLostError, PayloadUnavailableError, SupervisionError,
})) {
  registerErrorClass(name, errorClass);
}
