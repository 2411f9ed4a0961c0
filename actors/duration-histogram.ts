import type { LatencyHistogram } from '../protocol/messages.js';

/**
 * Durations counted into fixed buckets (upper bounds in ms, a last bucket
 * taking the rest): counts and sum only, so that it stays the same small
 * size however many durations it counts.
 */
export class DurationHistogram {
  private readonly counts: number[];
  private count = 0;
  private sumMs = 0;

  constructor(private readonly bucketsMs: readonly number[]) {
    this.counts = new Array<number>(bucketsMs.length + 1).fill(0);
  }

  record(ms: number): void {
    const bucket = this.bucketsMs.findIndex((bound) => ms <= bound);
    this.counts[bucket === -1 ? this.bucketsMs.length : bucket]!++;
    this.count++;
    this.sumMs += ms;
  }

  histogram(): LatencyHistogram {
    return { bucketsMs: this.bucketsMs, counts: [...this.counts], count: this.count, sumMs: this.sumMs };
  }
}
