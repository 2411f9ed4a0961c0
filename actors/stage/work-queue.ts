import { splitIdOf } from '../../lib/split.js';
import type { WorkItem } from '../../protocol/messages.js';

/**
 * Splits waiting for a worker. Keyed splits (one partition of a keyed
 * upstream's output) wait for the one worker that owns their partition;
 * the others go to whichever worker asks first, in order, except that
 * source splits of one stream (the same `stream` in their range, such as the
 * row ranges of one Parquet row group) go to the worker that took the
 * stream's last split while it asks, and a worker starting on a new stream
 * skips the streams other workers are on: each stream is then decoded once,
 * by one worker, and the workers read different streams at once.
 *
 * The workers can change while the stage runs (an elastic stage scales):
 * partitions are then owned anew by the workers that take splits, so a
 * partition's queued splits follow it to its new owner.
 */
export class WorkQueue {
  private readonly shared: WorkItem[] = [];
  /** Splits run again for a consumer that lost their output: any worker takes them first, whatever the epoch. */
  private readonly urgent: WorkItem[] = [];
  /** Splits waiting for one worker: those of the partitions it owns, and those queued for it alone. */
  private readonly owned = new Map<number, WorkItem[]>();
  /** Splits queued for one worker alone (a lost worker's, for its replacement): they stay with it when owners change. */
  private readonly pinned = new Set<WorkItem>();
  /** The workers that own partitions, in order. */
  private owners: number[];
  /** The stream of the last split each worker took. */
  private readonly streamOf = new Map<number, string | undefined>();

  /** `workers`: how many workers take splits at first (indexes 0 to workers - 1). */
  constructor(workers: number) {
    this.owners = Array.from({ length: workers }, (_, index) => index);
  }

  /** The worker that owns a partition. */
  ownerOf(partition: number): number {
    return this.owners[partition % this.owners.length]!;
  }

  /**
   * The workers that take splits from now on (an elastic stage scaled):
   * partitions are owned anew, and the splits queued for a partition move
   * to its new owner, in order.
   */
  setOwners(workers: readonly number[]): void {
    this.owners = [...workers].sort((a, b) => a - b);
    const moving: WorkItem[] = [];
    for (const [worker, queue] of this.owned) {
      const kept = queue.filter((item) => this.pinned.has(item) || item.split.partition === undefined);
      moving.push(...queue.filter((item) => !kept.includes(item)));
      this.owned.set(worker, kept);
    }
    moving.sort((a, b) => a.split.epoch - b.split.epoch);
    for (const item of moving) this.ownedBy(this.ownerOf(item.split.partition!)).push(item);
  }

  push(item: WorkItem): void {
    const partition = item.split.partition;
    if (partition === undefined) this.shared.push(item);
    else this.ownedBy(this.ownerOf(partition)).push(item);
  }

  /** Queues a split for `worker` alone, before what it owns already: a lost worker's split, for its replacement. */
  pushFor(worker: number, item: WorkItem): void {
    this.pinned.add(item);
    this.ownedBy(worker).unshift(item);
  }

  /** Queues a split again, before the others it competes with: first of its partition's owner, or first of all. */
  requeue(item: WorkItem): void {
    const partition = item.split.partition;
    if (partition === undefined) this.shared.unshift(item);
    else this.ownedBy(this.ownerOf(partition)).unshift(item);
  }

  /** Whether splits wait for `worker` alone: a draining worker takes them before it ends. */
  hasPinned(worker: number): boolean {
    return (this.owned.get(worker) ?? []).some((item) => this.pinned.has(item));
  }

  private ownedBy(worker: number): WorkItem[] {
    let queue = this.owned.get(worker);
    if (!queue) {
      queue = [];
      this.owned.set(worker, queue);
    }
    return queue;
  }

  /** Queues a split that a consumer waits for: the next free worker takes it, before any other. */
  pushUrgent(item: WorkItem): void {
    this.urgent.push(item);
  }

  /** The oldest split some consumer waits for. */
  takeUrgent(): WorkItem | undefined {
    return this.urgent.shift();
  }

  /** Queues a split of no partition before every other: the rest of a split just cut, say. */
  pushFirst(item: WorkItem): void {
    this.shared.unshift(item);
  }

  /** The oldest split for `worker` that `takeable` allows, its own stream's first (see the class comment). */
  takeFor(worker: number, takeable: (item: WorkItem) => boolean = () => true): WorkItem | undefined {
    const owned = takeFirst(this.ownedBy(worker), takeable);
    if (owned) {
      this.pinned.delete(owned);
      return owned;
    }
    const mine = this.streamOf.get(worker);
    let index = mine === undefined ? -1 : this.shared.findIndex((item) => takeable(item) && streamOf(item) === mine);
    if (index === -1) {
      const others = new Set([...this.streamOf].filter(([w, stream]) => w !== worker && stream !== undefined).map(([, stream]) => stream));
      index = this.shared.findIndex((item) => takeable(item) && !others.has(streamOf(item)!));
    }
    if (index === -1) index = this.shared.findIndex(takeable);
    if (index === -1) return undefined;
    const [item] = this.shared.splice(index, 1);
    this.streamOf.set(worker, streamOf(item!));
    return item;
  }

  /** Split ids of everything queued. */
  splitIds(): string[] {
    return this.all().map((item) => splitIdOf(item.split));
  }

  /** Splits whose epoch is at most `maxEpoch`. */
  countUpTo(maxEpoch: number): number {
    let count = 0;
    for (const item of this.all()) if (item.split.epoch <= maxEpoch) count++;
    return count;
  }

  get size(): number {
    let size = this.urgent.length + this.shared.length;
    for (const queue of this.owned.values()) size += queue.length;
    return size;
  }

  drain(): WorkItem[] {
    this.pinned.clear();
    return [...this.urgent.splice(0), ...this.shared.splice(0), ...[...this.owned.values()].flatMap((queue) => queue.splice(0))];
  }

  private all(): WorkItem[] {
    return [...this.urgent, ...this.shared, ...[...this.owned.values()].flat()];
  }
}

/** The stream a source split continues, if its range names one. */
function streamOf(item: WorkItem): string | undefined {
  const stream = item.split.range?.stream;
  return typeof stream === 'string' ? stream : undefined;
}

function takeFirst(queue: WorkItem[], takeable: (item: WorkItem) => boolean): WorkItem | undefined {
  const index = queue.findIndex(takeable);
  return index === -1 ? undefined : queue.splice(index, 1)[0];
}
