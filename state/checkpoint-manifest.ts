import type { DataRange } from '../lib/split.js';

/** What one worker saved for a checkpoint. */
export interface WorkerSnapshot {
  /** Backend key of the operator's state (stateful operators). */
  stateKey?: string;
  /** The transaction its sink pre-committed: what `commit` needs to publish it. */
  transaction?: unknown;
  /** The dead letters it wrote for the stage, pre-committed as a sink's transaction (docs/errors.md). */
  deadLetters?: unknown;
}

/** What a source stage saved for a checkpoint: its planned splits and the indexes of those fully processed. */
export interface SourceSnapshot {
  plan: DataRange[];
  done: number[];
}

/** What a stage saved for a checkpoint. */
export interface StageSnapshot {
  workers: WorkerSnapshot[];
  source?: SourceSnapshot;
  /** The stage's operators had emitted their end-of-input output (`finish`). */
  finished?: boolean;
  /** The key groups its keyed input was split into (lib/chaining.ts, keyGroupsOf), if it has keyed input. */
  keyGroups?: number;
}

/**
 * The record of a completed checkpoint. It is written last, and only once,
 * so a checkpoint without a manifest was never completed and is never used.
 */
export interface CheckpointManifest {
  version: 1;
  jobId: string;
  checkpointId: number;
  createdAt: string;
  /** Taken when the job had read all its input: the job is complete. */
  final: boolean;
  /** The run that took it (`JobRun.id`); absent in manifests written before runs had ids. */
  runId?: string;
  stages: Record<string, StageSnapshot>;
  /** Split ids that were queued, in flight or buffered: they are read again from their sources on restore. */
  inFlight: string[];
}
