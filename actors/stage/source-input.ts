import { JobDefinitionError } from '../../lib/errors/index.js';
import { DEFAULT_CHECKPOINT_INTERVAL_SECS, type JobGraph } from '../../lib/job.js';
import { SourceOperator, refuseBadRecord } from '../../lib/operator.js';
import { Split, splitIdOf, type DataRange } from '../../lib/split.js';
import type { PayloadRef } from '../../dataplane/payload-ref.js';
import type { SplitResult, WorkItem } from '../../protocol/messages.js';
import type { SourceSnapshot, StageSnapshot } from '../../state/checkpoint-manifest.js';
import type { StageInput, StageInputContext } from './stage-input.js';

/** A split is not cut into parts of fewer rows than this: per-split costs would outweigh the time saved. */
const MIN_CUT_ROWS = 1000;

/**
 * How long one source split should take at most: a quarter of the checkpoint
 * interval, between 100 ms and 1 s (1 s without an interval). A checkpoint
 * then waits about that long for the splits in flight, and a killed job
 * redoes about that much per worker besides the time since its last
 * checkpoint.
 */
export function splitTargetMs(job: JobGraph): number {
  const intervalSecs = job.options.checkpointIntervalSecs ?? DEFAULT_CHECKPOINT_INTERVAL_SECS;
  return intervalSecs > 0 ? Math.min(1000, Math.max(100, (intervalSecs * 1000) / 4)) : 1000;
}

/**
 * A source stage's input: the splits its operator plans (or the plan of the
 * checkpoint the job resumes from, less the splits read before it). A split
 * belongs to the epoch in which it is handed out, and each one read whole is
 * reported to the state master (source progress, record-count checkpoints).
 */
export class PlannedSourceInput implements StageInput {
  private plan: DataRange[] = [];
  private operator: SourceOperator | undefined;
  /** When each split in flight was handed out, for the time a row takes. */
  private readonly handedOutAt = new Map<string, number>();
  /** Milliseconds a row of this source takes through the stage's chain, once a split has been read whole. */
  private msPerRow: number | undefined;
  /** Source splits read whole, by plan index, with the epoch each was read in. */
  private readonly done = new Map<number, number>();
  private readonly planIndex = new Map<string, number>();
  private planned = false;
  private epoch: number;
  private exhaustionReported = false;
  private held = false;
  splitsPlanned: number | undefined;

  constructor(
    private readonly context: StageInputContext,
    private readonly jobId: string,
    firstEpoch: number,
    private readonly restore: SourceSnapshot | undefined,
    /** How long one split should take at most; a longer one is cut (see {@link cutIfLong}). */
    private readonly splitTargetMs: number,
  ) {
    this.epoch = firstEpoch;
    if (restore) for (const index of restore.done) this.done.set(index, firstEpoch - 1);
  }

  get ready(): boolean {
    return this.planned;
  }

  get ended(): boolean {
    return this.planned;
  }

  async start(workers: number): Promise<void> {
    const { stage, log, queue } = this.context;
    // Planning reads no record: anything bad there fails the job.
    const operator = new stage.operator(stage.config, { jobId: this.jobId, stage: stage.name, workerIndex: 0, parallelism: workers, logger: log, badRecord: refuseBadRecord });
    if (!(operator instanceof SourceOperator)) throw new JobDefinitionError(`Stage '${stage.name}' has no upstream but is not a source`);
    this.operator = operator;
    this.plan = this.restore ? [...this.restore.plan] : await operator.planSplits();
    this.plan.forEach((range, index) => {
      if (this.done.has(index)) return;
      const split = Split.forSource(stage.name, index, range, 0);
      this.planIndex.set(split.splitId, index);
      queue.push({ split: split.toJSON() });
    });
    this.splitsPlanned = this.plan.length - this.done.size;
    this.planned = true;
    log.info({ splits: this.splitsPlanned, restored: this.done.size }, 'planned source splits');
  }

  pull(): void {}

  closedEpoch(triggeredEpoch: number): number {
    return triggeredEpoch;
  }

  /** Splits handed out from now on belong to the next epoch. */
  epochClosed(checkpointId: number): void {
    this.epoch = Math.max(this.epoch, checkpointId + 1);
  }

  hold(): void {
    this.held = true;
    this.context.log.info({ unread: this.context.queue.size }, 'source held for a draining stop: no new split goes out');
  }

  /** While held, a split goes out only if it went out before: a retry, or a lost worker's split for its replacement. */
  mayHandOut(item: WorkItem): boolean {
    return !this.held || item.redo === true || this.handedOutAt.has(splitIdOf(item.split));
  }

  dispatching(item: WorkItem): void {
    // A lost worker's split handed out again: its epoch still counts it as pending.
    if (item.redo) {
      this.handedOutAt.set(splitIdOf(item.split), performance.now());
      return;
    }
    this.cutIfLong(item);
    item.split.epoch = this.epoch;
    this.context.ledger.add(item.split.epoch);
    this.handedOutAt.set(splitIdOf(item.split), performance.now());
  }

  /**
   * A split that would take more than twice the target (its planned rows at
   * the time rows have taken so far) is cut: this item reads the first part,
   * sized to the target, and the rest becomes a new split of the plan, queued
   * first. A checkpoint waits for the splits in flight, so this bounds how
   * long it waits, and how much a killed job redoes, to about the target.
   */
  private cutIfLong(item: WorkItem): void {
    const range = item.split.range;
    const rows = range?.rows;
    if (!range || this.msPerRow === undefined || typeof rows !== 'number' || rows < 2 * MIN_CUT_ROWS) return;
    const expectedMs = rows * this.msPerRow;
    if (expectedMs <= 2 * this.splitTargetMs) return;
    const fraction = Math.max(this.splitTargetMs / expectedMs, MIN_CUT_ROWS / rows);
    const parts = this.operator?.cutRange(range, fraction);
    if (!parts) return;
    const [head, tail] = parts;
    const index = this.planIndex.get(splitIdOf(item.split))!;
    this.plan[index] = head;
    item.split.range = head;
    const tailIndex = this.plan.length;
    this.plan.push(tail);
    const split = Split.forSource(this.context.stage.name, tailIndex, tail, 0);
    this.planIndex.set(split.splitId, tailIndex);
    this.context.queue.pushFirst({ split: split.toJSON() });
    this.splitsPlanned = (this.splitsPlanned ?? 0) + 1;
  }

  splitDone(result: SplitResult): void {
    const splitId = splitIdOf(result.split);
    const startedAt = this.handedOutAt.get(splitId);
    this.handedOutAt.delete(splitId);
    const rows = result.stages[0]?.rowsOut ?? 0;
    if (startedAt !== undefined && rows > 0) {
      const msPerRow = (performance.now() - startedAt) / rows;
      this.msPerRow = this.msPerRow === undefined ? msPerRow : 0.5 * this.msPerRow + 0.5 * msPerRow;
    }
    this.done.set(this.planIndex.get(splitId)!, result.split.epoch);
    this.context.stateMaster().tell('sourceSplitDone', splitId, rows)
      .catch((error: unknown) => this.context.log.error({ err: error }, 'state master did not take source progress'));
  }

  processed(): void {
    if (this.exhaustionReported) return;
    this.exhaustionReported = true;
    this.context.stateMaster().tell('sourceExhausted', this.context.stage.name)
      .catch((error: unknown) => this.context.log.error({ err: error }, 'state master did not take source exhaustion'));
  }

  reproduce(): Promise<PayloadRef> {
    return Promise.reject(new Error(`source stage '${this.context.stage.name}' reads no upstream output`));
  }

  /**
   * The plan and the splits read by the end of epoch `epoch`. Splits of later
   * epochs may be done already: their output is not part of this checkpoint,
   * so a restore from it must read them again.
   */
  snapshot(epoch: number): Pick<StageSnapshot, 'source'> {
    const done = [...this.done].filter(([, doneIn]) => doneIn <= epoch).map(([index]) => index).sort((a, b) => a - b);
    return { source: { plan: [...this.plan], done } };
  }
}
