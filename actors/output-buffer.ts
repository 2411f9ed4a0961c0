import type { OutputEntry, PullReply } from './messages.js';

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
 * them. Each consumer reads in order at its own pace; an entry counts as
 * buffered until the slowest consumer has it.
 */
export class OutputBuffer {
  private readonly queues = new Map<string, Held[]>();
  private readonly waiters = new Map<string, Waiter>();
  private held = 0;
  private peak = 0;
  private closed = false;
  private stopped = false;

  constructor(consumers: readonly string[]) {
    for (const consumer of consumers) this.queues.set(consumer, []);
  }

  /** Entries that some consumer has not pulled yet. */
  get buffered(): number {
    return this.held;
  }

  get maxBuffered(): number {
    return this.peak;
  }

  add(entry: OutputEntry): void {
    if (this.queues.size === 0) return;
    const held: Held = { entry, consumersLeft: this.queues.size };
    this.held++;
    this.peak = Math.max(this.peak, this.held);
    for (const queue of this.queues.values()) queue.push(held);
    for (const consumer of [...this.waiters.keys()]) this.answer(consumer);
  }

  /** No entry will be added any more: consumers get `done` once they drain. */
  close(): void {
    this.closed = true;
    for (const consumer of [...this.waiters.keys()]) this.answer(consumer);
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

  /** Up to `max` entries for `consumer`; waits while none is ready and more may come. */
  pull(consumer: string, max: number): Promise<PullReply> {
    if (!this.queues.has(consumer)) return Promise.reject(new Error(`'${consumer}' is not a consumer of this stage`));
    if (this.waiters.has(consumer)) return Promise.reject(new Error(`'${consumer}' already has a pull waiting`));
    return new Promise((resolve) => {
      this.waiters.set(consumer, { resolve, max });
      this.answer(consumer);
    });
  }

  private answer(consumer: string): void {
    const queue = this.queues.get(consumer)!;
    if (queue.length === 0 && !this.closed) return;
    const waiter = this.waiters.get(consumer);
    if (!waiter) return;
    this.waiters.delete(consumer);
    const taken = queue.splice(0, Math.max(1, waiter.max));
    for (const held of taken) if (--held.consumersLeft === 0) this.held--;
    const done = this.closed && queue.length === 0;
    waiter.resolve({ entries: taken.map((held) => held.entry), done, upstreamStopped: this.stopped });
  }
}
