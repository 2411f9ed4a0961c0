import type { LogFormat, LogLevel } from './logger.js';

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
  readonly logFormat?: LogFormat;
  /** Where checkpoints live: a URL or a path (see state/open-state-backend.ts). */
  readonly stateLocation: string;
  /** Which checkpoint to resume from. */
  readonly restore: RestoreRequest;
  /** Where dead letters go, when a stage writes them: an absolute folder, or a Lance table's path or URI (`format: 'lance'`). */
  readonly deadLetter?: DeadLetterLocation;
  /** Which run of the job this is: set by the MetaService once it knows whether the job resumes. */
  readonly run?: JobRun;
}

/** Where a job's dead letters go, resolved. */
export interface DeadLetterLocation {
  readonly path: string;
  readonly format: 'jsonl' | 'csv' | 'parquet' | 'lance';
  readonly storageOptions?: Record<string, string>;
}

/**
 * One run of a job: from a start without a checkpoint to its end, through
 * every restore from its checkpoints. A sink tells its own earlier output
 * from another run's by the run's id.
 */
export interface JobRun {
  /** Made when the run starts; kept in its checkpoints, so a restore keeps it. */
  readonly id: string;
  /** The checkpoint this attempt of the run resumed from, if it did. */
  readonly resumedFrom?: number;
}

/**
 * `auto`: the latest checkpoint unless the job completed; `latest`: the
 * latest, which must exist; `none`: start over; a number: that checkpoint.
 */
export type RestoreRequest = 'auto' | 'latest' | 'none' | number;
