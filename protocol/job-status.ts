/**
 * What the job's actors are created with and what they report to the runner:
 * plain JSON, like every message (see messages.ts).
 */
import type { SerializedError } from '../lib/errors/index.js';
import type { JobRun, JobSpec } from '../lib/job-spec.js';
import type { PlacementConfig } from '../lib/placement-config.js';
import type { StageMetrics } from './messages.js';

export interface MetaServiceParams {
  spec: JobSpec;
  placement: PlacementConfig;
  /**
   * When each stage lost workers earlier in this run (job restarts and
   * replacements, ms since the epoch): a stage's replacements share its
   * restart budget's window with them.
   */
  recentLosses?: Record<string, number[]>;
}

export interface GlobalStateMasterParams {
  spec: JobSpec;
  /** The stage masters, each named by the first stage of its chain. */
  stages: string[];
  /** The source stages. */
  sources: string[];
  /** The id the next checkpoint takes. */
  firstCheckpointId: number;
  intervalSecs?: number;
  intervalRecords?: number;
  retain: number;
  /** How long the final checkpoint is retried before the job fails. */
  finalRetrySecs: number;
}

/** How far the sources have read. */
export interface SourceProgress {
  /** Source splits fully read in this run. */
  splitsDone: number;
  /** Records those splits held. */
  records: number;
}

export type JobState = 'initialized' | 'running' | 'finished' | 'failed' | 'stopped';

export interface JobOutcome {
  stages: StageMetrics[];
  wallTimeMs: number;
  error?: SerializedError;
  /** The checkpoint the run resumed from. */
  resumedFrom?: number;
  /** Ids of checkpoints this run takes start here. */
  firstCheckpointId: number;
}

export interface JobStatus {
  jobId: string;
  state: JobState;
  stages: StageMetrics[];
  sources: SourceProgress;
  /**
   * The run this attempt belongs to (a new one, or the run of the checkpoint
   * it resumed from), as the MetaService decided when it started; the runner
   * names the attempt's run record by it. Absent only before an attempt started.
   */
  run?: JobRun;
}
