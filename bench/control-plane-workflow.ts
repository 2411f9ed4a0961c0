/**
 * The job of bench/control-plane: a no-op pipeline of four stages moving many
 * tiny splits (one row each): a source, two identity maps, a sink that drops
 * what it gets. Every cost left is the runtime's per-split cost. No checkpoints
 * but the final one. Config: splits (default 10000), chain (default true: the
 * four stages run fused as one chain; false: each stage on its own).
 */
import { Job, MapOperator, SinkOperator, SourceOperator, SplitPayload, Stage, type DataRange, type Split } from '../lib/index.js';

/** `splits` splits of one row `{ i }` each. */
export class TinySplitsSource extends SourceOperator<{ splits: number }> {
  planSplits(): DataRange[] {
    return Array.from({ length: this.config.splits }, (_, i) => ({ i }));
  }

  processSplit(split: Split): SplitPayload {
    return SplitPayload.fromRows([{ i: split.range!.i as number }], split.splitId);
  }
}

/** Takes every split and keeps nothing. */
export class DropSink extends SinkOperator<Record<string, never>> {
  processSplit(): null {
    return null;
  }
}

export function createJob(jobId: string, config: Record<string, unknown>): Job {
  const job = new Job({ jobId, checkpointIntervalSecs: 0, checkpointIntervalRecords: 0, chain: config.chain !== false });
  job.addStage(new Stage('source', TinySplitsSource, { splits: Number(config.splits ?? 10_000) }, 1));
  job.addStage(new Stage('map1', MapOperator, { fn: (row) => row }, 1), ['source']);
  job.addStage(new Stage('map2', MapOperator, { fn: (row) => row }, 1), ['map1']);
  job.addStage(new Stage('sink', DropSink, {}, 1), ['map2']);
  return job;
}
