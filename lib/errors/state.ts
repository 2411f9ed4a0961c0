/** Errors of state backends: a state location that cannot be opened, a key it refuses, an operation that failed. */
import { SolsticeError, registerErrorClasses } from './base.js';

/** A state location (a path or URL) that names no usable state backend: `problem` says why. */
export class StateLocationError extends SolsticeError {
  override readonly name: string = 'StateLocationError';

  constructor(readonly location: string, readonly problem: string) {
    super(`State backend '${location}': ${problem}`);
  }

  override details(): Record<string, unknown> {
    return { location: this.location, problem: this.problem };
  }
}

/** A state key that would leave the state location. */
export class StateKeyError extends SolsticeError {
  override readonly name: string = 'StateKeyError';

  constructor(readonly key: string) {
    super(`State key '${key}' may not contain '..'`);
  }

  override details(): Record<string, unknown> {
    return { key: this.key };
  }
}

/**
 * A state backend failed an operation: `backend` names it (its URL, or its
 * server), `operation` is what it was asked (read, write, rename, ...), `key`
 * the path or key it was asked about.
 */
export class StateBackendError extends SolsticeError {
  override readonly name: string = 'StateBackendError';

  constructor(readonly backend: string, readonly operation: string, readonly key: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  override details(): Record<string, unknown> {
    return { backend: this.backend, operation: this.operation, key: this.key };
  }
}

registerErrorClasses({ StateLocationError, StateKeyError, StateBackendError });
