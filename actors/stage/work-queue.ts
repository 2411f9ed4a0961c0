import { splitIdOf } from '../../lib/split.js';
import type { WorkItem } from '../../protocol/messages.js';

/**
 * Splits waiting for a worker. Keyed splits (one partition of a keyed
 * upstream's output) wait for the one worker that owns their partition;
 * the others go to whichever worker asks first.
 */
export class WorkQueue {
  private readonly shared: WorkItem[] = [];
  private readonly owned: WorkItem[][];

  constructor(private readonly workers: number) {
    this.owned = Array.from({ length: workers }, () => []);
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

  /** The oldest split for `worker` whose epoch is at most `maxEpoch`. */
  takeFor(worker: number, maxEpoch: number = Number.POSITIVE_INFINITY): WorkItem | undefined {
    return takeFirst(this.owned[worker]!, maxEpoch) ?? takeFirst(this.shared, maxEpoch);
  }

  /** Split ids of everything queued. */
  splitIds(): string[] {
    return [...this.shared, ...this.owned.flat()].map((item) => splitIdOf(item.split));
  }

  /** Splits whose epoch is at most `maxEpoch`. */
  countUpTo(maxEpoch: number): number {
    let count = 0;
    for (const item of [...this.shared, ...this.owned.flat()]) if (item.split.epoch <= maxEpoch) count++;
    return count;
  }

  get size(): number {
    return this.shared.length + this.owned.reduce((sum, queue) => sum + queue.length, 0);
  }

  drain(): WorkItem[] {
    return [...this.shared.splice(0), ...this.owned.flatMap((queue) => queue.splice(0))];
  }
}

function takeFirst(queue: WorkItem[], maxEpoch: number): WorkItem | undefined {
  const index = queue.findIndex((item) => item.split.epoch <= maxEpoch);
  return index === -1 ? undefined : queue.splice(index, 1)[0];
}
