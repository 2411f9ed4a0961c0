import { splitIdOf } from '../../lib/split.js';
import type { NextSplitReply, WorkItem } from '../../protocol/messages.js';
import type { WorkQueue } from './work-queue.js';

/**
 * Hands queued splits to the workers that asked for one (a worker's
 * `nextSplit` waits here until there is a split for it, or the end), and
 * knows which worker holds which split.
 */
export class SplitDispatcher {
  private readonly waiting = new Map<number, (reply: NextSplitReply) => void>();
  /** Splits in flight: the worker holding each, and what it was given. */
  private readonly inFlight = new Map<string, { worker: number; item: WorkItem; since: number }>();

  constructor(private readonly queue: WorkQueue) {}

  /** A worker asks for its next split: `reply` is called once, with a split or the end. */
  wait(workerIndex: number, reply: (reply: NextSplitReply) => void): void {
    this.waiting.set(workerIndex, reply);
  }

  /**
   * Gives each waiting worker the oldest split it may take (one `takeable`
   * allows) while `mayStart()` allows; `starting` sees each split first.
   * Workers that `skip` names (draining ones) get none.
   */
  dispatch(takeable: (item: WorkItem) => boolean, mayStart: () => boolean, starting: (item: WorkItem, worker: number) => void, skip: (worker: number) => boolean = () => false): void {
    for (const [workerIndex, reply] of this.waiting) {
      if (skip(workerIndex)) continue;
      // A split run again for a consumer that waits for it goes first, past back-pressure and checkpoint alignment.
      let item = this.queue.takeUrgent();
      if (!item && !mayStart()) return;
      item ??= this.queue.takeFor(workerIndex, takeable);
      if (!item) continue;
      starting(item, workerIndex);
      this.waiting.delete(workerIndex);
      this.inFlight.set(splitIdOf(item.split), { worker: workerIndex, item, since: Date.now() });
      reply({ kind: 'split', item });
    }
  }

  /** A worker finished the split it held; returns what it was given. */
  done(splitId: string): WorkItem | undefined {
    return this.release(splitId)?.item;
  }

  /** A worker gave the result of the split it held: what it was given, and how long (ms) it held it. */
  resulted(splitId: string): { item: WorkItem; heldMs: number } | undefined {
    const held = this.release(splitId);
    return held && { item: held.item, heldMs: Date.now() - held.since };
  }

  private release(splitId: string): { worker: number; item: WorkItem; since: number } | undefined {
    const held = this.inFlight.get(splitId);
    this.inFlight.delete(splitId);
    return held;
  }

  /** The worker holding split `splitId`, if it is in flight. */
  workerOf(splitId: string): number | undefined {
    return this.inFlight.get(splitId)?.worker;
  }

  /** The split a worker holds, if any. */
  heldBy(workerIndex: number): string | undefined {
    return [...this.inFlight].find(([, held]) => held.worker === workerIndex)?.[0];
  }

  /** How long (ms) the worker has held its split, if it holds one. */
  heldForMs(workerIndex: number): number | undefined {
    const held = [...this.inFlight.values()].find((entry) => entry.worker === workerIndex);
    return held && Date.now() - held.since;
  }

  /** The workers that have held their split for longer than `ms`. */
  heldLongerThan(ms: number): number[] {
    const now = Date.now();
    return [...this.inFlight.values()].filter((entry) => now - entry.since > ms).map((entry) => entry.worker);
  }

  /** Takes back the split a lost worker held, if any: it is no longer in flight. */
  takeBack(workerIndex: number): WorkItem | undefined {
    const splitId = this.heldBy(workerIndex);
    return splitId === undefined ? undefined : this.done(splitId);
  }

  /** Answers a waiting worker (or every one) with the end: it closes its operator and stops. */
  end(workerIndex?: number): void {
    for (const [index, reply] of this.waiting) {
      if (workerIndex !== undefined && index !== workerIndex) continue;
      this.waiting.delete(index);
      reply({ kind: 'end' });
    }
  }

  /** The workers waiting for a split. */
  waitingWorkers(): number[] {
    return [...this.waiting.keys()];
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  inFlightIds(): string[] {
    return [...this.inFlight.keys()];
  }
}
