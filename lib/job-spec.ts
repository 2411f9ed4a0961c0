import type { LogLevel } from './logger.js';

/**
 * How any process rebuilds the job: import `workflowModule` and call
 * `createJob(jobId, config)`, or, inside the process that created the job,
 * look it up in the job registry by `registryKey`. Plain JSON, so it can
 * travel to forked, threaded and remote actors.
 */
export interface JobSpec {
  readonly jobId: string;
  /** Absolute path of the workflow module that exports `createJob`. */
  readonly workflowModule?: string;
  readonly config: Record<string, unknown>;
  /** Key of the Job object in this process's registry (set for in-process runs). */
  readonly registryKey?: string;
  readonly logLevel?: LogLevel;
  /** Where checkpoints live: a URL or a path (see state/open-state-backend.ts). */
  readonly stateLocation: string;
  /** Which checkpoint to resume from. */
  readonly restore: RestoreRequest;
  /** Where dead letters go (an absolute folder), when a stage writes them. */
  readonly deadLetter?: { path: string; format: 'jsonl' | 'csv' | 'parquet' };
}

/**
 * `auto`: the latest checkpoint unless the job completed; `latest`: the
 * latest, which must exist; `none`: start over; a number: that checkpoint.
 */
export type RestoreRequest = 'auto' | 'latest' | 'none' | number;
