/**
 * The job of bench/autoscale and test/autoscaling.test.ts, a workflow module
 * run through the CLI:
 *
 *   source -> pace -> work (CPU-bound, `parallelism` [1, 4] by default) -> sink (FileSink)
 *
 * `pace` passes the first `burst` source splits at once and holds each later
 * one `paceMs` (a timer, no CPU): a backlog for `work` while the burst lasts,
 * then a trickle. `work` spends `costUs` µs of CPU per row. With `gate` (a
 * file path), the splits after the burst wait until that file exists: the
 * stages after `pace` then idle until a test, having seen them shrink,
 * creates it.
 *
 * Config (CLI: --key value): input, output, costUs (default 200), burst
 * (default: every split), paceMs (default 0), gate, trickleCostUs (the cost of a
 * row after the burst; default costUs), parallelism of `work` (a
 * count, or `MIN-MAX`; default 1-4), batchRows (default 500), intervalSecs
 * (checkpoints, default 1).
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileSink, FileSource, Job, MapOperator, Operator, Stage, type Parallelism, type Row, type Split, type SplitPayload } from '../lib/index.js';

/** Passes the first `burst` source splits at once and holds each later one `paceMs` (a timer, no CPU), after `gate` exists if given. */
export class Pace extends Operator<{ burst: number; paceMs: number; gate?: string }> {
  async processSplit(split: Split, payload?: SplitPayload) {
    const index = Number(/-(\d+)/.exec(split.lineage)?.[1] ?? 0);
    if (index >= this.config.burst) {
      while (this.config.gate !== undefined && !existsSync(this.config.gate)) await sleep(20);
      await sleep(this.config.paceMs);
    }
    return payload ? payload.withSplitId(split.splitId) : null;
  }
}

export function createJob(jobId: string, config: Record<string, unknown>): Job {
  const costMs = Number(config.costUs ?? 200) / 1000;
  // Rows past the burst (its splits of batchRows rows each, in id order) may cost less: a trickle that leaves the map idle however loaded the machine.
  const burstRows = Number(config.burst ?? Number.POSITIVE_INFINITY) * Number(config.batchRows ?? 500);
  const trickleCostMs = Number(config.trickleCostUs ?? config.costUs ?? 200) / 1000;
  const job = new Job({ jobId, checkpointIntervalSecs: Number(config.intervalSecs ?? 1) });
  job.addStage(new Stage('source', FileSource, { paths: String(config.input), batchRows: Number(config.batchRows ?? 500) }, 1));
  job.addStage(new Stage('pace', Pace, {
    burst: Number(config.burst ?? Number.POSITIVE_INFINITY), paceMs: Number(config.paceMs ?? 0), ...(config.gate === undefined ? {} : { gate: String(config.gate) }),
  }, 1), ['source']);
  job.addStage(new Stage('work', MapOperator, {
    fn: (row: Row) => {
      const until = performance.now() + ((row.id as number) < burstRows ? costMs : trickleCostMs);
      while (performance.now() < until);
      return { ...row, score: ((row.id as number) * 31) % 1000 };
    },
    // On workers of its own whatever its parallelism, so that fixed and elastic runs compare the same plan.
  }, parallelismOf(String(config.parallelism ?? '1-4')), { chain: false }), ['pace']);
  job.addStage(new Stage('sink', FileSink, { path: String(config.output), format: 'jsonl' }, 1), ['work']);
  return job;
}

/** `4` or `1-4`. */
function parallelismOf(text: string): Parallelism {
  const [min, max] = text.split('-').map(Number);
  return max === undefined ? min! : [min!, max];
}
