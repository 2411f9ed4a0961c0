import { splitIdOf } from '../../lib/split.js';
import type { OutputEntry, PullReply } from '../../protocol/messages.js';

interface Held {
  entry: OutputEntry;
  consumersLeft: number;
}

interface Waiter {
  resolve: (reply: PullReply) => void;
  max: number;
}

/**
 * A stage's finished splits, held until every downstream stage has pulled
 * them. Each consumer reads at its own pace; an entry counts as buffered
 * until the slowest consumer has it.
 *
 * It also carries the stage's checkpoint barrier: `closeEpoch(n)` says every
 * entry of epochs up to n has been added. A consumer learns `closedEpoch = n`
 * once it has taken all of those entries.
 */
export class OutputBuffer {
  private readonly queues = new Map<string, Held[]>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly reportedClosed = new Map<string, number>();
  private held = 0;
  private peak = 0;
  private closedEpoch: number;
  private closed = false;
  private stopped = false;

  constructor(consumers: readonly string[], closedEpoch: number) {
    this.closedEpoch = closedEpoch;
    for (const consumer of consumers) {
      this.queues.set(consumer, []);
      this.reportedClosed.set(consumer, closedEpoch);
    }
  }

  /** Entries that some consumer has not pulled yet. */
  get buffered(): number {
    return this.held;
  }

  get maxBuffered(): number {
    return this.peak;
  }

  /** Split ids of the entries still held. */
  heldSplitIds(): string[] {
    const ids = new Set<string>();
    for (const queue of this.queues.values()) for (const held of queue) ids.add(splitIdOf(held.entry.split));
    return [...ids];
  }

  add(entry: OutputEntry): void {
    if (this.queues.size === 0) return;
    const held: Held = { entry, consumersLeft: this.queues.size };
    this.held++;
    this.peak = Math.max(this.peak, this.held);
    for (const queue of this.queues.values()) queue.push(held);
    this.answerAll();
  }

  /** Every entry of epochs up to `epoch` has been added. */
  closeEpoch(epoch: number): void {
    this.closedEpoch = Math.max(this.closedEpoch, epoch);
    this.answerAll();
  }

  /** No entry will be added any more: consumers get `done` once they drain. */
  close(): void {
    this.closed = true;
    this.answerAll();
  }

  /** Closes epoch `epoch` and the buffer at once, so consumers learn both in one reply. */
  closeLastEpoch(epoch: number): void {
    this.closed = true;
    this.closeEpoch(epoch);
  }

  /** The stage stopped before its end: consumers get `done` and `upstreamStopped` now. */
  stop(): void {
    this.stopped = true;
    this.drain();
    this.close();
  }

  /** Every entry still held, removed (for a job that stops). */
  drain(): OutputEntry[] {
    const all = new Set<OutputEntry>();
    for (const queue of this.queues.values()) for (const held of queue.splice(0)) all.add(held.entry);
    this.held = 0;
    return [...all];
  }

  /** Up to `max` entries for `consumer`. Waits while there is neither an entry, nor a newly closed epoch, nor the end. */
  pull(consumer: string, max: number): Promise<PullReply> {
    if (!this.queues.has(consumer)) return Promise.reject(new Error(`'${consumer}' is not a consumer of this stage`));
    if (this.waiters.has(consumer)) return Promise.reject(new Error(`'${consumer}' already has a pull waiting`));
    return new Promise((resolve) => {
      this.waiters.set(consumer, { resolve, max });
      this.answer(consumer);
    });
  }

  private answerAll(): void {
    for (const consumer of [...this.waiters.keys()]) this.answer(consumer);
  }

  private answer(consumer: string): void {
    const waiter = this.waiters.get(consumer);
    if (!waiter) return;
    const queue = this.queues.get(consumer)!;
    const taken = queue.splice(0, Math.max(1, waiter.max));
    const closedEpoch = this.closedEpochFor(queue);
    const done = this.closed && queue.length === 0;
    if (taken.length === 0 && closedEpoch <= this.reportedClosed.get(consumer)! && !done) return;
    this.waiters.delete(consumer);
    this.reportedClosed.set(consumer, closedEpoch);
    for (const held of taken) if (--held.consumersLeft === 0) this.held--;
    waiter.resolve({ entries: taken.map((held) => held.entry), done, upstreamStopped: this.stopped, closedEpoch });
  }

  /** The closed epoch a consumer may assume: entries it has not taken yet hold it below their epoch. */
  private closedEpochFor(queue: Held[]): number {
    let closed = this.closedEpoch;
    for (const held of queue) closed = Math.min(closed, held.entry.split.epoch - 1);
    return closed;
  }
}
