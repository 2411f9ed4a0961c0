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
 */
export class WorkQueue {
  private readonly shared: WorkItem[] = [];
  /** Splits run again for a consumer that lost their output: any worker takes them first, whatever the epoch. */
  private readonly urgent: WorkItem[] = [];
  private readonly owned: WorkItem[][];
  /** The stream of the last split each worker took. */
  private readonly streamOf: (string | undefined)[];

  constructor(private readonly workers: number) {
    this.owned = Array.from({ length: workers }, () => []);
    this.streamOf = new Array<string | undefined>(workers);
  }

  /** The worker that owns a partition. */
  ownerOf(partition: number): number {
    return partition % this.workers;
  }

  push(item: WorkItem): void {
    const partition = item.split.partition;
    if (partition === undefined) this.shared.push(item);
    else this.owned[this.ownerOf(partition)]!.push(item);
  }

  /** Queues a split for `worker` alone, before what it owns already: a lost worker's split, for its replacement. */
  pushFor(worker: number, item: WorkItem): void {
    this.owned[worker]!.unshift(item);
  }

  /** Queues a split again, before the others it competes with: first of its partition's owner, or first of all. */
  requeue(item: WorkItem): void {
    const partition = item.split.partition;
    if (partition === undefined) this.shared.unshift(item);
    else this.owned[this.ownerOf(partition)]!.unshift(item);
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

  /** The oldest split for `worker` whose epoch is at most `maxEpoch`, its own stream's first (see the class comment). */
  takeFor(worker: number, maxEpoch: number = Number.POSITIVE_INFINITY): WorkItem | undefined {
    const owned = takeFirst(this.owned[worker]!, maxEpoch);
    if (owned) return owned;
    const mine = this.streamOf[worker];
    let index = mine === undefined ? -1 : this.shared.findIndex((item) => item.split.epoch <= maxEpoch && streamOf(item) === mine);
    if (index === -1) {
      const others = new Set(this.streamOf.filter((stream, w) => w !== worker && stream !== undefined));
      index = this.shared.findIndex((item) => item.split.epoch <= maxEpoch && !others.has(streamOf(item)!));
    }
    if (index === -1) index = this.shared.findIndex((item) => item.split.epoch <= maxEpoch);
    if (index === -1) return undefined;
    const [item] = this.shared.splice(index, 1);
    this.streamOf[worker] = streamOf(item!);
    return item;
  }

  /** Split ids of everything queued. */
  splitIds(): string[] {
    return [...this.urgent, ...this.shared, ...this.owned.flat()].map((item) => splitIdOf(item.split));
  }

  /** Splits whose epoch is at most `maxEpoch`. */
  countUpTo(maxEpoch: number): number {
    let count = 0;
    for (const item of [...this.urgent, ...this.shared, ...this.owned.flat()]) if (item.split.epoch <= maxEpoch) count++;
    return count;
  }

  get size(): number {
    return this.urgent.length + this.shared.length + this.owned.reduce((sum, queue) => sum + queue.length, 0);
  }

  drain(): WorkItem[] {
    return [...this.urgent.splice(0), ...this.shared.splice(0), ...this.owned.flatMap((queue) => queue.splice(0))];
  }
}

/** The stream a source split continues, if its range names one. */
function streamOf(item: WorkItem): string | undefined {
  const stream = item.split.range?.stream;
  return typeof stream === 'string' ? stream : undefined;
}

function takeFirst(queue: WorkItem[], maxEpoch: number): WorkItem | undefined {
  const index = queue.findIndex((item) => item.split.epoch <= maxEpoch);
  return index === -1 ? undefined : queue.splice(index, 1)[0];
}
