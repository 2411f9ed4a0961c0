/**
 * What the job's actors are created with and what they report to the runner:
 * plain JSON, like every message (see messages.ts).
 */
import type { SerializedError } from '../lib/errors/index.js';
import type { JobRun, JobSpec } from '../lib/job-spec.js';
import type { PlacementConfig } from '../lib/placement-config.js';
import type { LatencyHistogram, StageMetrics } from './messages.js';

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
  /** The attempt's checkpoints, as its GlobalStateMaster took them; absent when that master was lost. */
  checkpoints?: CheckpointHistoryReport;
}

/** How a checkpoint ended: published, failed (a stage could not save its part, the manifest could not be written), abandoned (the job ended first), or still being taken. */
export type CheckpointOutcome = 'in-progress' | 'completed' | 'failed' | 'abandoned';

/** One checkpoint the attempt took, or tried to. */
export interface CheckpointRecord {
  id: number;
  /** When the epoch was closed (ms since the epoch). */
  startedAt: number;
  /** From closing the epoch to the manifest published (or the failure); absent while in progress. */
  durationMs?: number;
  /** Taken after the sources had read everything (a completed one is the job's last). */
  final: boolean;
  outcome: CheckpointOutcome;
  /** Bytes of its manifest (JSON, UTF-8). Completed checkpoints only. */
  manifestBytes?: number;
  /** Bytes of the state files its workers wrote (stateful operators' state). Completed checkpoints only. */
  stateBytes?: number;
  /** Why it failed. */
  error?: string;
}

/** The checkpoints of an attempt: the newest ones (up to CHECKPOINT_HISTORY_SIZE), and how many ended each way in all. */
export interface CheckpointHistoryReport {
  recent: CheckpointRecord[];
  completed: number;
  failed: number;
  abandoned: number;
  /** How long every completed checkpoint of the attempt took (those dropped from `recent` included), in the buckets of CHECKPOINT_DURATION_BUCKETS_MS. */
  durations: LatencyHistogram;
}

/** How many checkpoint records a GlobalStateMaster keeps. */
export const CHECKPOINT_HISTORY_SIZE = 100;

/** Upper bounds (ms) of the checkpoint duration histogram's buckets; a last bucket (+Inf) takes the rest. */
export const CHECKPOINT_DURATION_BUCKETS_MS: readonly number[] = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000, 600_000];
