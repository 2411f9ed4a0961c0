import { JobDefinitionError } from '../../lib/errors/index.js';
import { SourceOperator } from '../../lib/operator.js';
import { Split, splitIdOf, type DataRange } from '../../lib/split.js';
import type { SplitResult, WorkItem } from '../../protocol/messages.js';
import type { SourceSnapshot, StageSnapshot } from '../../state/checkpoint-manifest.js';
import type { StageInput, StageInputContext } from './stage-input.js';

/**
 * A source stage's input: the splits its operator plans (or the plan of the
 * checkpoint the job resumes from, less the splits read before it). A split
 * belongs to the epoch in which it is handed out, and each one read whole is
 * reported to the state master (source progress, record-count checkpoints).
 */
export class PlannedSourceInput implements StageInput {
  private plan: DataRange[] = [];
  /** Source splits read whole, by plan index, with the epoch each was read in. */
  private readonly done = new Map<number, number>();
  private readonly planIndex = new Map<string, number>();
  private planned = false;
  private epoch: number;
  private exhaustionReported = false;
  splitsPlanned: number | undefined;

  constructor(
    private readonly context: StageInputContext,
    private readonly jobId: string,
    firstEpoch: number,
    private readonly restore: SourceSnapshot | undefined,
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
    if (this.restore) {
      this.plan = this.restore.plan;
    } else {
      const operator = new stage.operator(stage.config, { jobId: this.jobId, stage: stage.name, workerIndex: 0, parallelism: workers, logger: log });
      if (!(operator instanceof SourceOperator)) throw new JobDefinitionError(`Stage '${stage.name}' has no upstream but is not a source`);
      this.plan = await operator.planSplits();
    }
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

  dispatching(item: WorkItem): void {
    item.split.epoch = this.epoch;
    this.context.ledger.add(item.split.epoch);
  }

  splitDone(result: SplitResult): void {
    const splitId = splitIdOf(result.split);
    this.done.set(this.planIndex.get(splitId)!, result.split.epoch);
    this.context.stateMaster().tell('sourceSplitDone', splitId, result.stages[0]?.rowsOut ?? 0)
      .catch((error: unknown) => this.context.log.error({ err: error }, 'state master did not take source progress'));
  }

  processed(): void {
    if (this.exhaustionReported) return;
    this.exhaustionReported = true;
    this.context.stateMaster().tell('sourceExhausted', this.context.stage.name)
      .catch((error: unknown) => this.context.log.error({ err: error }, 'state master did not take source exhaustion'));
  }

  /**
   * The plan and the splits read by the end of epoch `epoch`. Splits of later
   * epochs may be done already: their output is not part of this checkpoint,
   * so a restore from it must read them again.
   */
  snapshot(epoch: number): Pick<StageSnapshot, 'source'> {
    const done = [...this.done].filter(([, doneIn]) => doneIn <= epoch).map(([index]) => index).sort((a, b) => a - b);
    return { source: { plan: this.plan, done } };
  }
}
