import { serializeError, type SerializedError } from '../../lib/errors/index.js';
import type { Logger } from '../../lib/logger.js';
import type { GlobalStateMasterApi } from '../../protocol/actor-apis.js';
import type { ActorLink } from '../../protocol/actor-link.js';
import type { SplitResult, StageAck } from '../../protocol/messages.js';
import type { StageSnapshot, WorkerSnapshot } from '../../state/checkpoint-manifest.js';
import { EpochLedger } from './epoch-ledger.js';
import type { OutputBuffer } from './output-buffer.js';
import type { StageInput } from './stage-input.js';
import type { WorkerPool } from './worker-pool.js';

/** What the epoch coordinator is given by its stage master. */
export interface EpochContext {
  /** The stages of the master's chain; the first names its acks. */
  chain: readonly string[];
  log: Logger;
  workers: WorkerPool;
  output: OutputBuffer;
  input(): StageInput;
  stateMaster(): ActorLink<GlobalStateMasterApi>;
  /** Splits queued, in flight or buffered at the stage. */
  heldSplitIds(): string[];
  /** A worker's end-of-input output (`finish`). */
  finished(result: SplitResult): void;
  /**
   * The stage's workers are snapshotted for checkpoint `epoch` (not the last)
   * and no split of a later epoch has started: an aligned stage may change
   * its workers now, its state moving from these snapshots.
   */
  snapshotted(epoch: number, snapshots: Record<string, StageSnapshot>): Promise<void>;
  fail(error: SerializedError): void;
  pump(): void;
}

/**
 * A stage's part of each checkpoint (docs/checkpointing.md): counts the
 * splits of each epoch not yet done, completes epoch n once its splits are
 * done and its input barrier has passed (snapshots the workers, acks to the
 * state master, passes the barrier downstream), commits the sinks when a
 * checkpoint is published, and runs the operators' `finish` once the input
 * has ended.
 */
export class EpochCoordinator {
  readonly ledger = new EpochLedger();
  /** Stateful stages do not start a split of epoch n+1 before their state is snapshotted for n. */
  private readonly aligned: boolean;
  private completedEpoch: number;
  /** The last checkpoint the state master has taken. */
  private triggeredEpoch: number;
  private completing = false;
  private finishState: 'not-needed' | 'pending' | 'running' | 'done';
  /** The job's final checkpoint is committed: no more splits are handed out. */
  finalCommitted = false;

  /** The key groups of the chain's keyed input, saved with its snapshots. */
  private readonly keyGroups: number | undefined;
  /** The chain's sinks whose workers' transactions one worker commits together (lib/operator.ts CommittingTogetherSink). */
  private readonly committingTogether: ReadonlySet<string>;

  constructor(
    private readonly context: EpochContext,
    options: { firstEpoch: number; aligned: boolean; finishing: boolean; finished: boolean; keyGroups?: number; committingTogether?: readonly string[] },
  ) {
    this.keyGroups = options.keyGroups;
    this.committingTogether = new Set(options.committingTogether);
    // No split belongs to the epochs between the restored checkpoint and this run's first: they count as complete.
    this.completedEpoch = options.firstEpoch - 1;
    this.triggeredEpoch = options.firstEpoch - 1;
    this.aligned = options.aligned;
    this.finishState = !options.finishing ? 'not-needed' : options.finished ? 'done' : 'pending';
  }

  /** The operators' end-of-input output (`finish`) is being made or was made. */
  get finishStarted(): boolean {
    return this.finishState === 'running' || this.finishState === 'done';
  }

  /** Checkpoint `checkpointId` is taken: epochs up to it may complete. */
  closeEpoch(checkpointId: number): void {
    this.triggeredEpoch = Math.max(this.triggeredEpoch, checkpointId);
  }

  /** The highest epoch a split may have to be started now. */
  get dispatchableEpoch(): number {
    if (!this.aligned) return Number.POSITIVE_INFINITY;
    return this.completing ? this.completedEpoch : this.completedEpoch + 1;
  }

  /** How many queued splits could start now, for the prefetch policy. */
  startable(queued: { size: number; countUpTo(epoch: number): number }): number {
    return this.aligned ? queued.countUpTo(this.dispatchableEpoch) : queued.size;
  }

  /** Runs `finish()` once the input has ended, then completes the next epoch when its splits are all done. */
  advance(allProcessed: boolean): void {
    if (this.completing) return;
    const input = this.context.input();
    // A source's part of a checkpoint is its plan and the splits done: none before the plan exists.
    if (!input.ready) return;
    if (allProcessed && this.finishState === 'pending') {
      void this.finishWorkers();
      return;
    }
    if (this.finishState === 'running') return;
    if (allProcessed) input.processed();
    const next = this.completedEpoch + 1;
    if (next > input.closedEpoch(this.triggeredEpoch) || this.ledger.hasPendingUpTo(next)) return;
    // The stage's last part only if no split of a later epoch has run: a split handed out after
    // this checkpoint closed its epoch belongs to the next checkpoint, finished or not.
    void this.completeEpoch(next, allProcessed && this.ledger.latest <= next);
  }

  /**
   * Checkpoint `checkpointId` is published: the workers' sinks make its
   * writes visible, each its own, or, for a sink that commits together, the
   * first worker all of them at once. `snapshots` are the chain's stages' parts.
   */
  async commit(checkpointId: number, snapshots: Record<string, StageSnapshot>, final: boolean): Promise<void> {
    const { workers, chain } = this.context;
    const own = chain.filter((stage) => !this.committingTogether.has(stage));
    const committer = workers.indexes[0];
    await Promise.all([
      ...workers.indexes.map((index) => {
        const transactions: Record<string, unknown> = {};
        const deadLetters: Record<string, unknown> = {};
        for (const stage of chain) {
          const saved = snapshots[stage]?.workers[index];
          if (saved?.transaction !== undefined && own.includes(stage)) transactions[stage] = saved.transaction;
          if (saved?.deadLetters !== undefined) deadLetters[stage] = saved.deadLetters;
        }
        const none = Object.keys(transactions).length === 0 && Object.keys(deadLetters).length === 0;
        return none ? undefined : workers.ask(index, 'commit', transactions, deadLetters);
      }),
      ...[...this.committingTogether].map((stage) => {
        // A drained worker's transaction is in the checkpoint too: every saved worker's goes to the committer.
        const handles = (snapshots[stage]?.workers ?? []).flatMap((worker) => (worker?.transaction === undefined ? [] : [worker.transaction]));
        return handles.length === 0 || committer === undefined ? undefined : workers.ask(committer, 'commitTogether', stage, handles, final);
      }),
    ]);
    this.context.log.info({ checkpointId, final }, 'checkpoint committed');
    if (final) this.finalCommitted = true;
  }

  private async finishWorkers(): Promise<void> {
    this.finishState = 'running';
    const epoch = this.completedEpoch + 1;
    try {
      const results = await this.context.workers.askAll('finish', epoch);
      for (const result of results.flat()) this.context.finished(result);
      this.finishState = 'done';
    } catch (error) {
      this.context.fail(serializeError(error));
    }
    this.context.pump();
  }

  /** Snapshots the workers for checkpoint `epoch`, tells the state master, and passes the barrier downstream. */
  private async completeEpoch(epoch: number, final: boolean): Promise<void> {
    this.completing = true;
    const { context } = this;
    const ack: StageAck = { checkpointId: epoch, stage: context.chain[0]!, inFlight: context.heldSplitIds(), final };
    const inputPart = context.input().snapshot(epoch);
    try {
      const indexes = context.workers.indexes;
      const workers = await context.workers.askAll('snapshot', epoch);
      const finished = this.finishState === 'done';
      // By worker index: an elastic stage's indexes need not run from 0 (a drained worker's is gone, a new one's is higher).
      const byIndex = (stage: string) => {
        const snapshots: WorkerSnapshot[] = [];
        indexes.forEach((workerIndex, i) => (snapshots[workerIndex] = workers[i]!.stages[stage] ?? {}));
        return Array.from(snapshots, (snapshot) => snapshot ?? {});
      };
      ack.snapshots = Object.fromEntries(context.chain.map((stage, index) => [
        stage,
        { workers: byIndex(stage), finished, ...(index === 0 ? inputPart : {}), ...(this.keyGroups === undefined ? {} : { keyGroups: this.keyGroups }) } satisfies StageSnapshot,
      ]));
      ack.stateBytes = workers.reduce((sum, worker) => sum + worker.stateBytes, 0);
    } catch (error) {
      ack.error = serializeError(error);
      context.log.warn({ checkpointId: epoch, err: error }, 'could not save the stage for checkpoint');
    }
    if (ack.snapshots && !final && this.aligned) {
      try {
        await context.snapshotted(epoch, ack.snapshots);
      } catch (error) {
        context.fail(serializeError(error));
      }
    }
    this.completedEpoch = epoch;
    this.completing = false;
    if (final) context.output.closeLastEpoch(epoch);
    else context.output.closeEpoch(epoch);
    context.stateMaster().tell('stageAck', ack).catch((error: unknown) => context.log.error({ err: error }, 'state master did not take the ack'));
    context.pump();
  }
}
