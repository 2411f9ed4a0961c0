import { KeyGroupsChangedError, RestoreRefusedError } from '../../lib/errors/index.js';
import { keyGroupsOf } from '../../lib/chaining.js';
import type { JobGraph } from '../../lib/job.js';
import { commitsTogetherClass, hasKeyGroupedState } from '../../lib/operator.js';
import type { StageSnapshot } from '../../state/checkpoint-manifest.js';
import type { KeyGroupSpread } from '../../protocol/messages.js';

/** What one worker restores besides its own index's snapshot, by stage. */
export interface WorkerRestoreExtras {
  /** Key-grouped state saved by another number of workers: every saved state key, and how many workers share the groups now. */
  regroupState?: Record<string, KeyGroupSpread>;
  /** Sink transactions of saved workers whose index no longer exists, which this worker commits. */
  adoptedTransactions?: Record<string, unknown[]>;
  /** Their dead letters, likewise. */
  adoptedDeadLetters?: Record<string, unknown[]>;
}

/**
 * How a chain's checkpointed workers map onto the `workers` it starts with
 * now: key-grouped state (lib/operator.ts) is spread by key group over
 * them, each taking the partitions it owns (partition % workers), whatever
 * workers saved it (an elastic stage's may have owned them otherwise). When
 * the counts differ (an elastic stage saved more workers than it starts
 * with, or the job's parallelism changed), the sink
 * transactions of saved workers beyond the new count are committed by
 * worker `index % workers`. State that is not key-grouped cannot be spread
 * (RestoreRefusedError), and state saved for other key groups cannot be
 * restored at all (KeyGroupsChangedError). A sink that commits its workers'
 * writes together has every saved transaction committed by worker 0.
 */
export function restoreLayout(job: JobGraph, chain: readonly string[], restore: Record<string, StageSnapshot> | undefined, workers: number): WorkerRestoreExtras[] {
  const extras: WorkerRestoreExtras[] = Array.from({ length: workers }, () => ({}));
  const keyGroups = keyGroupsOf(job, chain[0]!);
  for (const stage of chain) {
    const saved = restore?.[stage]?.workers ?? [];
    const stateKeys = saved.flatMap((worker) => (worker?.stateKey ? [worker.stateKey] : []));
    const savedKeyGroups = restore?.[stage]?.keyGroups;
    if (stateKeys.length > 0 && savedKeyGroups !== undefined && savedKeyGroups !== keyGroups) {
      throw new KeyGroupsChangedError(stage, savedKeyGroups, keyGroups ?? 1);
    }
    // Key-grouped state is always taken by key group: the saved workers may have owned the groups otherwise (an elastic stage's).
    if (stateKeys.length > 0 && hasKeyGroupedState(job.getStage(stage).operator)) {
      const owners = Array.from({ length: workers }, (_, index) => index);
      for (const worker of extras) (worker.regroupState ??= {})[stage] = { stateKeys, owners };
    }
    saved.forEach((worker, index) => {
      if (index < workers || worker?.deadLetters === undefined) return;
      const adopter = extras[index % workers]!;
      ((adopter.adoptedDeadLetters ??= {})[stage] ??= []).push(worker.deadLetters);
    });
    if (commitsTogetherClass(job.getStage(stage).operator)) {
      // One worker commits a sink's transactions together: worker 0 takes every saved worker's.
      const transactions = saved.flatMap((worker) => (worker?.transaction === undefined ? [] : [worker.transaction]));
      if (transactions.length > 0) (extras[0]!.adoptedTransactions ??= {})[stage] = transactions;
      continue;
    }
    if (saved.length === workers || saved.length === 0) continue;
    if (stateKeys.length > 0 && !hasKeyGroupedState(job.getStage(stage).operator)) throw new RestoreRefusedError(stage, saved.length, workers);
    saved.forEach((worker, index) => {
      if (index < workers || worker?.transaction === undefined) return;
      const adopter = extras[index % workers]!;
      ((adopter.adoptedTransactions ??= {})[stage] ??= []).push(worker.transaction);
    });
  }
  return extras;
}
