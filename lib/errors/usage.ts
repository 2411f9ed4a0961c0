/** Errors in how the API or the CLI is called: a value an argument cannot take, a runner method called at the wrong time. */
import { SolsticeError, registerErrorClasses } from './base.js';

/**
 * `argument` (a CLI option such as `--restore`, an API argument, or an
 * environment variable) was given `value`, which it cannot take.
 */
export class ArgumentError extends SolsticeError {
  override readonly name: string = 'ArgumentError';

  constructor(readonly argument: string, readonly value: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  override details(): Record<string, unknown> {
    return { argument: this.argument, value: this.value };
  }
}

/** `method` of a JobRunner was called while the runner is in `state`, where it cannot be. */
export class RunnerStateError extends SolsticeError {
  override readonly name: string = 'RunnerStateError';

  constructor(readonly method: string, readonly state: string, message: string) {
    super(message);
  }

  override details(): Record<string, unknown> {
    return { method: this.method, state: this.state };
  }
}

registerErrorClasses({ ArgumentError, RunnerStateError });
