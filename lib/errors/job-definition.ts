/** Errors in how a job is defined or placed: its DAG, its workflow module, its operators' configs, its placement. */
import { SolsticeError, registerErrorClasses } from './base.js';

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

/**
 * Job `jobId` runs actors outside the process that built it, which rebuild
 * the job from its workflow module, and it has none.
 */
export class WorkflowModuleRequiredError extends SolsticeError {
  override readonly name: string = 'WorkflowModuleRequiredError';

  constructor(readonly jobId: string, message: string) {
    super(message);
  }

  override details(): Record<string, unknown> {
    return { jobId: this.jobId };
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

/**
 * A placement that cannot be used: `source` says where it came from
 * (`placement` for the API, `--placement` or the file for the CLI),
 * `problem` what is wrong with it.
 */
export class PlacementError extends SolsticeError {
  override readonly name: string = 'PlacementError';

  constructor(readonly source: string, readonly problem: string, options?: { cause?: unknown }) {
    super(`${source}: ${problem}`, options);
  }

  override details(): Record<string, unknown> {
    return { source: this.source, problem: this.problem };
  }
}

registerErrorClasses({ JobDefinitionError, WorkflowNotFoundError, WorkflowModuleRequiredError, StageNotFoundError, OperatorConfigError, PlacementError });
