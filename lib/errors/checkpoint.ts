/** Errors in taking checkpoints and in restoring a job from one. */
import { SolsticeError, registerErrorClasses } from './base.js';

/** A checkpoint that could not be completed (or taken); the job keeps its last good one. */
export class CheckpointError extends SolsticeError {
  override readonly name: string = 'CheckpointError';
}

/**
 * A restore refused: stage `stage` keeps state that is not kept by key
 * group (lib/operator.ts, KeyGroupedState) and was checkpointed with another
 * parallelism than it has now; such state can only be restored onto as many
 * workers.
 */
export class RestoreRefusedError extends SolsticeError {
  override readonly name: string = 'RestoreRefusedError';

  constructor(readonly stage: string, readonly checkpointedParallelism: number, readonly currentParallelism: number) {
    super(
      `Stage '${stage}' was checkpointed with ${checkpointedParallelism} workers and now has ${currentParallelism}; ` +
        'restoring its state needs the same parallelism',
    );
  }

  override details(): Record<string, unknown> {
    return { stage: this.stage, checkpointedParallelism: this.checkpointedParallelism, currentParallelism: this.currentParallelism };
  }
}

/**
 * A restore refused: the keyed input of stage `stage` was split into
 * another number of key groups when the checkpoint was taken (the largest
 * `parallelism` max of the stages its keyed upstream feeds changed): its
 * state would no longer match the partitions its rows arrive in.
 */
export class KeyGroupsChangedError extends SolsticeError {
  override readonly name: string = 'KeyGroupsChangedError';

  constructor(readonly stage: string, readonly checkpointedKeyGroups: number, readonly currentKeyGroups: number) {
    super(
      `Stage '${stage}' was checkpointed with its keyed input in ${checkpointedKeyGroups} key groups and now has ${currentKeyGroups}; ` +
        'its state matches the old key groups: keep the largest parallelism max of the stages its keyed upstream feeds as it was',
    );
  }

  override details(): Record<string, unknown> {
    return { stage: this.stage, checkpointedKeyGroups: this.checkpointedKeyGroups, currentKeyGroups: this.currentKeyGroups };
  }
}

/** A restore refused: checkpoint `checkpointId` is older than the latest, whose output sinks have committed since. */
export class CheckpointTooOldError extends SolsticeError {
  override readonly name: string = 'CheckpointTooOldError';

  constructor(readonly checkpointId: number, readonly latestCheckpointId: number) {
    super(
      `Checkpoint ${checkpointId} is older than the latest (${latestCheckpointId}): sinks would have to take back output committed since; ` +
        'restore the latest, or start over',
    );
  }

  override details(): Record<string, unknown> {
    return { checkpointId: this.checkpointId, latestCheckpointId: this.latestCheckpointId };
  }
}

/**
 * The manifest of checkpoint `checkpointId` of job `jobId` cannot be read
 * (`key` in state location `location`): not JSON, or not a manifest.
 * `older` lists the job's earlier completed checkpoints, which a restore may
 * name instead.
 */
export class CheckpointCorruptError extends CheckpointError {
  override readonly name: string = 'CheckpointCorruptError';

  constructor(readonly jobId: string, readonly checkpointId: number, readonly location: string, readonly key: string, readonly reason: string, readonly older: number[]) {
    super(
      `Checkpoint ${checkpointId} of job '${jobId}' cannot be restored: its manifest ${key} in ${location} is damaged (${reason}); ` +
        (older.length > 0
          ? `restore an older one with --restore ${older.at(-1)} (completed: ${older.join(', ')}), which runs the splits after it again, or start over with --restore none`
          : 'the job has no older checkpoint: start over with --restore none'),
    );
  }

  override details(): Record<string, unknown> {
    return { jobId: this.jobId, checkpointId: this.checkpointId, location: this.location, key: this.key, reason: this.reason, older: this.older };
  }
}

/**
 * Job `jobId` has no completed checkpoint `checkpointId` (`'latest'`: none at
 * all) in state location `location`; `completed` lists the ones it has.
 */
export class CheckpointNotFoundError extends SolsticeError {
  override readonly name: string = 'CheckpointNotFoundError';

  constructor(readonly jobId: string, readonly checkpointId: number | 'latest', readonly location: string, readonly completed: number[]) {
    super(
      checkpointId === 'latest'
        ? `Job '${jobId}' has no completed checkpoint in ${location} to restore (a job that never ran, or was stopped before `
          + 'its first checkpoint completed, has none; or its state is in another --state-backend). To start over, run it with '
          + "--restore none (the runner option restore: 'none'), or without --restore: that resumes from the latest checkpoint "
          + 'when there is one and starts over when there is none'
        : `Job '${jobId}' has no completed checkpoint ${checkpointId} in ${location} (completed: ${completed.join(', ') || 'none'})`,
    );
  }

  override details(): Record<string, unknown> {
    return { jobId: this.jobId, checkpointId: this.checkpointId, location: this.location, completed: this.completed };
  }
}

/** A completed checkpoint names state `key` that its state location `location` does not hold. */
export class CheckpointStateMissingError extends SolsticeError {
  override readonly name: string = 'CheckpointStateMissingError';

  constructor(readonly key: string, readonly location: string) {
    super(`Checkpoint state '${key}' is missing from ${location}`);
  }

  override details(): Record<string, unknown> {
    return { key: this.key, location: this.location };
  }
}

registerErrorClasses({
  CheckpointError, RestoreRefusedError, KeyGroupsChangedError, CheckpointTooOldError, CheckpointNotFoundError, CheckpointStateMissingError, CheckpointCorruptError,
});
