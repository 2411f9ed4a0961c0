import { SolsticeError, registerErrorClasses } from './base.js';

/** A Lance table a job reads or commits to is missing, or is not the table the job expects. */
export class TableError extends SolsticeError {
  override readonly name: string = 'TableError';

  constructor(readonly uri: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  override details(): Record<string, unknown> {
    return { uri: this.uri };
  }
}

/** A Lance table a source reads does not exist. */
export class TableNotFoundError extends TableError {
  override readonly name: string = 'TableNotFoundError';

  constructor(uri: string) {
    super(uri, `Lance table not found: '${uri}'`);
  }
}

/**
 * A sink could not commit a checkpoint's rows to its table, or cannot tell
 * whether an earlier try did: the table changed under it, or a worker's
 * staged rows are out of the committer's reach.
 */
export class TableCommitError extends TableError {
  override readonly name: string = 'TableCommitError';

  constructor(uri: string, readonly checkpointId: number, why: string) {
    super(uri, `Cannot commit checkpoint ${checkpointId} to Lance table '${uri}': ${why}`);
  }

  override details(): Record<string, unknown> {
    return { uri: this.uri, checkpointId: this.checkpointId };
  }
}

registerErrorClasses({ TableError, TableNotFoundError, TableCommitError });
