import { SPLIT_LATENCY_BUCKETS_MS, type LatencyHistogram } from '../../protocol/messages.js';

/**
 * How long a stage's splits took, from being handed to a worker to its
 * result, counted into fixed buckets ({@link SPLIT_LATENCY_BUCKETS_MS}):
 * counts and sum only, so that it stays the same small size however many
 * splits the stage runs.
 */
export class SplitLatency {
  private readonly counts = new Array<number>(SPLIT_LATENCY_BUCKETS_MS.length + 1).fill(0);
  private count = 0;
  private sumMs = 0;

  record(ms: number): void {
    const bucket = SPLIT_LATENCY_BUCKETS_MS.findIndex((bound) => ms <= bound);
    this.counts[bucket === -1 ? SPLIT_LATENCY_BUCKETS_MS.length : bucket]!++;
    this.count++;
    this.sumMs += ms;
  }

  histogram(): LatencyHistogram {
    return { bucketsMs: SPLIT_LATENCY_BUCKETS_MS, counts: [...this.counts], count: this.count, sumMs: this.sumMs };
  }
}
