import type { WorkItem } from './messages.js';

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

  takeFor(worker: number): WorkItem | undefined {
    return this.owned[worker]!.shift() ?? this.shared.shift();
  }

  get size(): number {
    return this.shared.length + this.owned.reduce((sum, queue) => sum + queue.length, 0);
  }

  drain(): WorkItem[] {
    return [...this.shared.splice(0), ...this.owned.flatMap((queue) => queue.splice(0))];
  }
}
