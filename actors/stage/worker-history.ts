import type { KeyGroupSpread, WorkItem } from '../../protocol/messages.js';
import type { StageSnapshot, WorkerSnapshot } from '../../state/checkpoint-manifest.js';

interface DoneSplit {
  item: WorkItem;
  /** The split's stateful operators passed rows on (to the rest of the chain, or downstream). */
  emitted: boolean;
}

/** How a lost worker of a stateful chain is brought back alone: its state from a snapshot, or its key groups from a rescale's, and the splits to run again. */
export interface WorkerReplay {
  restore: Record<string, WorkerSnapshot>;
  regroupState?: Record<string, KeyGroupSpread>;
  replay: WorkItem[];
}

/** A {@link WorkerReplay}, or why the worker cannot be brought back alone. */
export type WorkerRecovery = WorkerReplay | { refused: string };

/**
 * For a chain that keeps state: the splits each worker finished since the
 * last published checkpoint, and the chain's part of that checkpoint. A lost
 * worker is then replaced by one that restores its state from the
 * checkpoint and runs those splits again (Flink restores a failed task's
 * state and replays its input the same way), provided nothing it did since
 * left the worker: its stateful operators passed no row on since the
 * checkpoint (an aggregation emits only at the end), so running the splits
 * again makes nothing twice.
 */
export class WorkerHistory {
  private readonly done = new Map<number, DoneSplit[]>();
  /** The chain's part of the last published checkpoint; undefined while no worker's own snapshot is known (below). */
  private snapshots: Record<string, StageSnapshot> | undefined;
  /** Checkpoints from this one on snapshot the workers as they are now. */
  private layoutFrom = Number.NEGATIVE_INFINITY;
  /** The key groups as a rescale at a checkpoint spread them, until a later checkpoint is published. */
  private spread: Record<string, KeyGroupSpread> | undefined;

  /**
   * `restored`: the chain's part of the checkpoint the job resumes from, if
   * any. If its state was spread over these workers by key group
   * (`spread`, restore-layout.ts), no worker's snapshot there is its own:
   * none is known until this run publishes a checkpoint.
   */
  constructor(private readonly chain: readonly string[], restored: Record<string, StageSnapshot> | undefined, spread: boolean) {
    this.snapshots = spread ? undefined : restored ?? {};
  }

  /**
   * The workers changed at checkpoint `epoch` and their key groups moved as
   * `spread` says: a lost worker takes its groups from there, and runs again
   * the splits it finished since `epoch`, until a later checkpoint is
   * published.
   */
  rescaled(epoch: number, spread: Record<string, KeyGroupSpread>): void {
    this.snapshots = undefined;
    this.layoutFrom = epoch + 1;
    this.spread = spread;
    for (const [worker, splits] of this.done) this.done.set(worker, splits.filter(({ item }) => item.split.epoch > epoch));
  }

  record(worker: number, item: WorkItem, emitted: boolean): void {
    const splits = this.done.get(worker) ?? [];
    splits.push({ item, emitted });
    this.done.set(worker, splits);
  }

  /** Checkpoint `checkpointId` is published with these parts of the chain: splits of epochs up to it need no replay. */
  published(checkpointId: number, snapshots: Record<string, StageSnapshot>): void {
    if (checkpointId >= this.layoutFrom) {
      this.snapshots = snapshots;
      this.spread = undefined;
    }
    for (const [worker, splits] of this.done) this.done.set(worker, splits.filter(({ item }) => item.split.epoch > checkpointId));
  }

  /** What a replacement of `worker` restores and runs again; the history of `worker` starts over. */
  recover(worker: number, canReadAgain: (item: WorkItem) => boolean): WorkerRecovery {
    const splits = this.done.get(worker) ?? [];
    if (!this.snapshots && !this.spread) return { refused: 'its key groups moved in a restore since the last published checkpoint' };
    if (splits.some(({ emitted }) => emitted)) return { refused: 'its stateful operators passed rows on since the last checkpoint' };
    if (!splits.every(({ item }) => canReadAgain(item))) return { refused: 'the input of a split it finished since the last checkpoint cannot be read again' };
    this.done.delete(worker);
    if (!this.snapshots) return { restore: {}, regroupState: this.spread!, replay: splits.map(({ item }) => item) };
    const restore: Record<string, WorkerSnapshot> = {};
    for (const stage of this.chain) {
      const snapshot = this.snapshots[stage]?.workers[worker];
      if (snapshot) restore[stage] = snapshot;
    }
    return { restore, replay: splits.map(({ item }) => item) };
  }
}
