/** Errors of a sink's output place: a folder holding what another run wrote. */
import { SolsticeError, registerErrorClasses } from './base.js';

/**
 * A FileSink's output folder (or a stage's dead letter folder) holds files
 * another run wrote, which a new run would write beside rather than replace.
 */
export class OutputConflictError extends SolsticeError {
  override readonly name: string = 'OutputConflictError';

  constructor(readonly path: string, message: string) {
    super(message);
  }

  override details(): Record<string, unknown> {
    return { path: this.path };
  }
}

registerErrorClasses({ OutputConflictError });
