import { ActorExitedError, WorkerLostError, describeCause, describeExit, serializeError, type ActorExit, type SerializedError } from '../../lib/errors/index.js';
import type { JobGraph } from '../../lib/job.js';
import { isReproducible } from '../../lib/lineage.js';
import type { Logger } from '../../lib/logger.js';
import { splitIdOf } from '../../lib/split.js';
import { RestartBudget } from '../../lib/supervision.js';
import { LOST_WORKERS_KEPT, type LostWorkerRecord, type WorkItem } from '../../protocol/messages.js';
import type { EpochCoordinator } from './epoch-coordinator.js';
import type { InputsMadeAgain } from './inputs-made-again.js';
import type { SplitDispatcher } from './split-dispatcher.js';
import type { SplitTimeouts } from './split-timeouts.js';
import type { WorkQueue } from './work-queue.js';
import type { WorkerHistory, WorkerReplay } from './worker-history.js';
import type { WorkerPool } from './worker-pool.js';

/** What answering a lost worker needs of its stage master. */
export interface WorkerLossContext {
  stage: string;
  job: JobGraph;
  log: Logger;
  /**
   * A lost worker is replaced while the job runs, and the split it held
   * handed out again, when nothing else was lost with it for good: the chain
   * keeps no state and emits nothing at the end, and either has no
   * downstream stage or can make its output again (lib/lineage.ts), so that
   * the outputs of the lost worker that waited in its process to be fetched
   * are made again when their consumers ask. Its split can be read again: a
   * source's range, or an upstream payload, which its producer holds until
   * the split is done.
   */
  replaceable: boolean;
  /** What each worker did since the last published checkpoint; only for a chain that keeps state. */
  history: WorkerHistory | undefined;
  /** Its workers run on host agents: a replacement refused there is not tried again here. */
  remote: boolean;
  workers: WorkerPool;
  queue: WorkQueue;
  dispatcher: SplitDispatcher;
  epochs: EpochCoordinator;
  splitTimeouts: SplitTimeouts;
  madeAgain: InputsMadeAgain;
  running(): boolean;
  /** The stage has ended: exits now are its workers being shut down. */
  settled(): boolean;
  /** The worker no longer takes splits (the scaler forgets it). */
  forget(index: number): void;
  /** The split the worker held will not run (the input is told). */
  inputDone(item: WorkItem | undefined): void;
  /** The worker will not come back. */
  ended(index: number): void;
  fail(error: SerializedError): void;
  pump(): void;
  /** Makes room for one more worker's exit listener (a forked replacement adds its own). */
  reserveExitListener(): void;
}

/**
 * How a stage answers a lost worker (docs/supervision.md): replaced alone,
 * its split handed out again, where that is exact and the stage's restart
 * budget allows (a stateless chain whose output can be made again; a
 * stateful chain from the last checkpoint's state, running again the
 * splits it finished since); else the stage fails with WorkerLostError and
 * the runner restarts the job from its last completed checkpoint.
 */
export class WorkerLosses {
  /** When lost workers were replaced, this run; replacements take from the stage's restart budget. */
  readonly replacedAt: number[] = [];
  private readonly lostRecords: LostWorkerRecord[] = [];
  private readonly replacements = new RestartBudget();

  constructor(private readonly context: WorkerLossContext, recentLosses: readonly number[]) {
    this.replacements.record(context.stage, [...recentLosses]);
  }

  lost(index: number, exit: ActorExit, killedBecause: string | undefined): void {
    const { context } = this;
    if (context.settled()) return;
    context.forget(index);
    if (context.replaceable && context.running() && this.takeReplacement()) {
      void this.replace(index, exit, killedBecause);
      return;
    }
    const recovery = this.statefulRecovery(index);
    if (recovery && this.takeReplacement()) {
      void this.replace(index, exit, killedBecause, recovery);
      return;
    }
    const splitId = context.dispatcher.heldBy(index);
    context.inputDone(context.dispatcher.takeBack(index));
    this.note(index, describeExit(exit, killedBecause), splitId, 'failed');
    const error = new WorkerLostError(context.stage, index, splitId, describeExit(exit, killedBecause));
    context.log.warn({ worker: index, workerPid: exit.pid, code: exit.code, signal: exit.signal, splitId }, 'worker lost');
    // An idle worker's request for its next split is still open; Comedy destroys the master only once
    // every request it is handling has been answered. The answer goes nowhere: the worker is gone.
    context.dispatcher.end(index);
    context.ended(index);
    context.fail(serializeError(error));
    context.pump();
  }

  /**
   * Starts a worker in place of a lost one, at its index, and hands it the
   * split the lost one held, with its epoch: a checkpoint of that epoch waits
   * for it, and the replacement writes it where the lost one had begun to (a
   * sink's staging folder is the worker index's), so nothing half-written of
   * it is ever committed. What the lost worker finished stays done.
   */
  private async replace(index: number, exit: ActorExit, killedBecause: string | undefined, recovery?: WorkerReplay): Promise<void> {
    const { context } = this;
    const timedOut = context.splitTimeouts.timedOut(index);
    const item = context.dispatcher.takeBack(index);
    this.note(index, describeExit(exit, killedBecause), item && splitIdOf(item.split), 'replaced');
    context.log.warn(
      {
        worker: index, workerPid: exit.pid, code: exit.code, signal: exit.signal, splitId: item && splitIdOf(item.split), why: describeExit(exit, killedBecause),
        ...(recovery ? { restoredState: Object.keys(recovery.restore).length > 0 || recovery.regroupState !== undefined, replayed: recovery.replay.length } : {}),
      },
      recovery
        ? 'worker lost; replacing it from the last checkpoint\'s state and running again the splits it finished since'
        : 'worker lost; replacing it and handing its split out again',
    );
    // Its open request for a next split goes nowhere now.
    context.dispatcher.end(index);
    if (item) context.queue.pushFor(index, { ...item, redo: true, ...(timedOut === undefined ? {} : { timedOut }) });
    for (const done of recovery?.replay ?? []) this.replay(index, done);
    for (;;) {
      this.replacedAt.push(Date.now());
      context.reserveExitListener();
      try {
        await context.workers.replace(index, recovery ? { restore: recovery.restore, ...(recovery.regroupState ? { regroupState: recovery.regroupState } : {}) } : {});
        await context.workers.ask(index, 'start');
        break;
      } catch (error) {
        // A replacement that dies while it starts is lost like any worker: another one starts, within the budget.
        // Not on a host: one whose agent is gone refuses every replacement, and the job restarts on the hosts that answer.
        if (error instanceof ActorExitedError && !context.remote && context.running() && this.takeReplacement()) {
          context.log.warn({ worker: index, why: error.message }, 'worker lost; replacing it again: its replacement died while starting');
          this.note(index, `its replacement died while starting: ${error.message}`, item && splitIdOf(item.split), 'replaced');
          continue;
        }
        context.ended(index);
        this.note(index, `its replacement could not start: ${describeCause(error)}`, item && splitIdOf(item.split), 'failed');
        context.fail(serializeError(new WorkerLostError(context.stage, index, item && splitIdOf(item.split), `its replacement could not start: ${describeCause(error)}`)));
        break;
      }
    }
    context.pump();
  }

  /** The newest lost workers, oldest first. */
  get lostWorkers(): LostWorkerRecord[] {
    return [...this.lostRecords];
  }

  private note(worker: number, why: string, splitId: string | undefined, answer: LostWorkerRecord['answer']): void {
    this.lostRecords.push({ at: Date.now(), worker, why, ...(splitId === undefined ? {} : { splitId }), answer });
    if (this.lostRecords.length > LOST_WORKERS_KEPT) this.lostRecords.shift();
  }

  /** One more lost worker replaced alone, if the stage's restart budget allows it. */
  private takeReplacement(): boolean {
    return this.replacements.take(this.context.stage, this.context.job.supervisionOf(this.context.stage)).allowed;
  }

  /**
   * How a lost worker of a stateful chain is replaced alone
   * ({@link WorkerHistory}), or undefined if the job must restart: the stage
   * runs, its end-of-input output is not under way, and every split the
   * worker finished since the last published checkpoint can be read again.
   */
  private statefulRecovery(index: number): WorkerReplay | undefined {
    const { context } = this;
    if (!context.history || !context.running() || context.epochs.finishStarted) return undefined;
    if (context.job.supervisionOf(context.stage).failover !== 'worker') return undefined;
    const recovery = context.history.recover(index, (item) => (item.from ? isReproducible(context.job, item.from.stage) : item.input === undefined));
    if ('refused' in recovery) {
      context.log.info({ worker: index, why: recovery.refused }, 'the lost worker of a stateful chain cannot be replaced alone');
      return undefined;
    }
    return recovery;
  }

  /**
   * Queues a split the lost worker had finished since the last checkpoint for
   * its replacement, pending in its epoch again so that no later checkpoint
   * passes it: a source's range as it is, an upstream output made again by
   * its stage (it was dropped once the split was done).
   */
  private replay(index: number, item: WorkItem): void {
    const { context } = this;
    context.epochs.ledger.add(item.split.epoch);
    const again = { ...item, redo: true, replay: true };
    if (!item.from) {
      context.queue.pushFor(index, again);
      return;
    }
    const splitId = splitIdOf(item.split);
    context.madeAgain.makeAgain({ ...again, from: item.from }, (made) => context.queue.pushFor(index, made), (reason) => {
      context.fail(serializeError(new WorkerLostError(context.stage, index, splitId, `the input of a split to run again on its replacement is lost: ${describeCause(reason)}`)));
    });
  }
}
