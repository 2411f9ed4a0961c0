import { SPLIT_LATENCY_BUCKETS_MS } from '../../protocol/messages.js';
import { DurationHistogram } from '../duration-histogram.js';

/**
 * How long a stage's splits took, from being handed to a worker to its
 * result, counted into the buckets of {@link SPLIT_LATENCY_BUCKETS_MS}.
 */
export class SplitLatency extends DurationHistogram {
  constructor() {
    super(SPLIT_LATENCY_BUCKETS_MS);
  }
}
