import {
  ActorExitedError, JobDefinitionError, JobStoppedError, RestoreRefusedError, WorkerLostError, describeExit, serializeError, type ActorExit, type SerializedError,
} from '../lib/errors/index.js';
import type { JobGraph } from '../lib/job.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { SourceOperator, isFinishing, isStatefulOperatorClass } from '../lib/operator.js';
import { Split, splitIdOf, type DataRange } from '../lib/split.js';
import type { Stage } from '../lib/stage.js';
import { processPayloadStore } from '../dataplane/local-payload-store.js';
import type { StageSnapshot } from '../state/checkpoint-manifest.js';
import { actorContext, type ComedySelf } from '../comedy-adapter/index.js';
import type { GlobalStateMasterApi, MetaServiceApi, StageMasterApi, StageWiring, WorkerApi } from '../protocol/actor-apis.js';
import type { ActorLink, ChildActor } from '../protocol/actor-link.js';
import { Heartbeats, silenceReason } from './heartbeats.js';
import { crossesProcesses, workerModeOf } from './placement.js';
import { reserveExitListeners } from './exit-listeners.js';
import { relayLink, STATE_MASTER_TARGET } from './master-link.js';
import { OnePerWorkerPrefetch, OutputCapacityPolicy, UnboundedPolicy, type BackpressurePolicy, type PrefetchPolicy } from './backpressure-policy.js';
import { EpochLedger } from './epoch-ledger.js';
import { loadJob } from './job-loading.js';
import type {
  NextSplitReply, OutputEntry, PullReply, SplitResult, StageAck, StageMasterParams, StageMetrics, StageOutcome, StageState, WorkItem, WorkerParams,
} from '../protocol/messages.js';
import { OutputBuffer } from './output-buffer.js';
import { WorkQueue } from './work-queue.js';
import { rootCause } from './root-cause.js';

interface UpstreamLink {
  stage: string;
  ref: ActorLink<StageMasterApi>;
  pulling: boolean;
  done: boolean;
  /** Every entry of epochs up to this one has arrived from this upstream. */
  closedEpoch: number;
}

const EVERY_EPOCH = Number.POSITIVE_INFINITY;

/**
 * One per stage: plans source splits, queues input pulled from upstream
 * stages, hands splits to the workers that ask for them, holds finished
 * splits for downstream stages, and completes the stage's part of each
 * checkpoint (see docs/checkpointing.md).
 */
export default class StageMaster implements StageMasterApi {
  private params!: StageMasterParams;
  private job!: JobGraph;
  private stage!: Stage;
  private log!: Logger;
  private workers: ChildActor<WorkerApi>[] = [];
  private queue!: WorkQueue;
  private output!: OutputBuffer;
  private backpressure!: BackpressurePolicy;
  private readonly prefetch: PrefetchPolicy = new OnePerWorkerPrefetch();
  private capacity = 0;
  private upstreams: UpstreamLink[] = [];
  private stateMaster!: ActorLink<GlobalStateMasterApi>;
  private parent!: ActorLink<MetaServiceApi>;
  private readonly waitingWorkers = new Map<number, (reply: NextSplitReply) => void>();
  private readonly inFlight = new Map<string, number>();
  private readonly endedWorkers = new Set<number>();
  private heartbeats: Heartbeats | undefined;
  /** Why a worker was killed by its master (a missed heartbeat), for the error its exit raises. */
  private readonly killReasons = new Map<number, string>();
  private outcomeSettled = false;
  private readonly ledger = new EpochLedger();
  private state: StageState = 'created';
  private failure: SerializedError | undefined;
  private counts = { splitsIn: 0, splitsOut: 0, rowsIn: 0, rowsOut: 0 };
  private resolveFinished!: (outcome: StageOutcome) => void;
  private readonly finished = new Promise<StageOutcome>((resolve) => {
    this.resolveFinished = resolve;
  });

  /** Stateful stages do not start a split of epoch n+1 before their state is snapshotted for n. */
  private aligned = false;
  private completedEpoch = 0;
  private completing = false;
  private finishState: 'not-needed' | 'pending' | 'running' | 'done' = 'not-needed';
  private finalCommitted = false;

  // Source stages only.
  private sourcePlan: DataRange[] = [];
  /** Source splits read whole, by plan index, with the epoch each was read in. */
  private readonly sourceDone = new Map<number, number>();
  private readonly sourceIndex = new Map<string, number>();
  private splitsPlanned: number | undefined;
  private planned = false;
  private sourceEpoch = 1;
  private exhaustionReported = false;
  /** The last checkpoint the state master has taken. */
  private triggeredEpoch = 0;
  private releaseExitListeners: (() => void) | undefined;

  async initialize(self: ComedySelf): Promise<void> {
    const context = actorContext<StageMasterParams, MetaServiceApi>(self);
    const params = context.params;
    this.params = params;
    this.parent = context.parent;
    this.log = createLogger(params.spec.logLevel, { actor: 'StageMaster', job: params.spec.jobId, stage: params.stage });
    this.job = await loadJob(params.spec);
    this.stage = this.job.getStage(params.stage);
    const downstreams = this.job.downstreamsOf(params.stage);
    const workerCount = this.stage.bounds.min;
    const restoredWorkers = params.restore?.workers ?? [];
    if (restoredWorkers.length > 0 && restoredWorkers.length !== workerCount && restoredWorkers.some((w) => w.stateKey || w.transaction)) {
      throw new RestoreRefusedError(params.stage, restoredWorkers.length, workerCount);
    }
    this.aligned = isStatefulOperatorClass(this.stage.operator);
    this.finishState = !isFinishing(this.stage.operator.prototype as object) ? 'not-needed' : params.restore?.finished ? 'done' : 'pending';
    // No split belongs to the epochs between the restored checkpoint and this run's first: they count as complete.
    const startEpoch = params.firstEpoch - 1;
    this.completedEpoch = startEpoch;
    this.triggeredEpoch = startEpoch;
    this.sourceEpoch = params.firstEpoch;
    this.capacity = this.job.maxBufferedSplitsOf(params.stage);
    this.backpressure = downstreams.length > 0 ? new OutputCapacityPolicy(this.capacity) : new UnboundedPolicy();
    this.output = new OutputBuffer(downstreams, startEpoch);
    this.queue = new WorkQueue(workerCount);
    const outputPartitions = Math.max(1, ...downstreams.map((name) => this.job.getStage(name).bounds.max));
    const mode = workerModeOf(params.placement, params.stage);
    this.releaseExitListeners = reserveExitListeners(mode === 'forked' ? this.stage.bounds.max : 0);
    const servePayloads = crossesProcesses(params.placement, this.job.stageNames);
    const created = await Promise.allSettled(
      Array.from({ length: workerCount }, (_, workerIndex) => {
        const workerParams: WorkerParams = {
          spec: params.spec, stage: params.stage, workerIndex, parallelism: workerCount, consumers: downstreams.length, outputPartitions,
          restore: restoredWorkers[workerIndex], servePayloads,
        };
        return context.createChild('Worker', { mode, name: `Worker-${params.stage}-${workerIndex}`, params: workerParams, ...params.workerHosts?.[workerIndex] });
      }),
    );
    this.workers = created.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = created.findIndex((result) => result.status === 'rejected');
    if (failed < 0) {
      this.superviseWorkers();
      return;
    }
    const { reason } = created[failed] as PromiseRejectedResult;
    // A worker that failed to start for another reason (its operator would not open) fails the job as it is.
    if (!(reason instanceof ActorExitedError)) throw reason;
    // A worker whose process or thread died while starting is lost like one that dies later: the stage
    // starts without workers and fails at once, and the runner restarts the job as its policy allows.
    await Promise.all(this.workers.map((worker) => worker.destroy()));
    this.workers = [];
    this.fail(serializeError(new WorkerLostError(params.stage, failed, undefined, describeExit(reason.exit), true)));
  }

  /**
   * Watches workers in other processes and threads: an exit, or a heartbeat
   * left unanswered for the stage's timeout, loses the worker, and that fails
   * the stage with a WorkerLostError, which the runner answers by restarting
   * the job from its last completed checkpoint (docs/supervision.md).
   */
  private superviseWorkers(): void {
    const { heartbeatTimeoutSecs } = this.job.supervisionOf(this.params.stage);
    const watched = this.workers.filter((worker, index) => worker.watchExit((exit) => this.workerExited(index, exit)));
    if (watched.length === 0) return;
    this.heartbeats = new Heartbeats(this.workers, heartbeatTimeoutSecs * 1000, (index, silentMs) => {
      if (this.killReasons.has(index)) return;
      this.killReasons.set(index, silenceReason(silentMs));
      this.log.warn({ worker: index, silentMs }, 'worker answers no heartbeat; killing it');
      this.workers[index]!.kill().catch((error: unknown) => this.log.error({ err: error, worker: index }, 'could not kill a hung worker'));
    });
    this.heartbeats.start(this.workers.map((worker, index) => (watched.includes(worker) ? index : -1)).filter((index) => index >= 0));
  }

  private workerExited(index: number, exit: ActorExit): void {
    this.workers[index]!.markGone();
    this.heartbeats?.forget(index);
    // Exits after the stage has ended are its workers being shut down.
    if (this.outcomeSettled) return;
    const splitId = [...this.inFlight].find(([, workerIndex]) => workerIndex === index)?.[0];
    const error = new WorkerLostError(this.params.stage, index, splitId, describeExit(exit, this.killReasons.get(index)));
    this.log.warn({ worker: index, pid: exit.pid, code: exit.code, signal: exit.signal, splitId }, 'worker lost');
    // An idle worker's request for its next split is still open; Comedy destroys this master only once
    // every request it is handling has been answered. The answer goes nowhere: the worker is gone.
    const waiting = this.waitingWorkers.get(index);
    this.waitingWorkers.delete(index);
    waiting?.({ kind: 'end' });
    this.endedWorkers.add(index);
    this.fail(serializeError(error));
    this.pump();
  }

  /**
   * Names the master's upstream stages and how to reach them and the state
   * master: by the refs that follow when this master shares the MetaService's
   * process, else through the MetaService ({@link relayLink}).
   */
  connect({ upstreams }: StageWiring, stateMaster?: ActorLink<GlobalStateMasterApi>, ...upstreamLinks: ActorLink<StageMasterApi>[]): void {
    this.upstreams = upstreams.map((stage, i) => ({
      stage, ref: upstreamLinks[i] ?? relayLink<StageMasterApi>(this.parent, stage), pulling: false, done: false, closedEpoch: this.params.firstEpoch - 1,
    }));
    this.stateMaster = stateMaster ?? relayLink<GlobalStateMasterApi>(this.parent, STATE_MASTER_TARGET);
  }

  /** Starts the stage; resolves when every worker has finished, with the stage's metrics and error if it failed. */
  async run(): Promise<StageOutcome> {
    // A stage aborted before it ran still starts its workers, which then end at once.
    if (this.state === 'created') this.state = 'running';
    try {
      await Promise.all(this.workers.map((worker) => worker.ask('start')));
      if (this.isSource && !this.stopping) await this.planSource();
    } catch (error) {
      this.fail(serializeError(error));
    }
    this.pump();
    return this.finished;
  }

  private async planSource(): Promise<void> {
    const restored = this.params.restore?.source;
    if (restored) {
      this.sourcePlan = restored.plan;
      for (const index of restored.done) this.sourceDone.set(index, this.params.firstEpoch - 1);
    } else {
      const operator = new this.stage.operator(this.stage.config, {
        jobId: this.params.spec.jobId, stage: this.stage.name, workerIndex: 0, parallelism: this.workers.length, logger: this.log,
      });
      if (!(operator instanceof SourceOperator)) throw new JobDefinitionError(`Stage '${this.stage.name}' has no upstream but is not a source`);
      this.sourcePlan = await operator.planSplits();
    }
    this.sourcePlan.forEach((range, index) => {
      if (this.sourceDone.has(index)) return;
      const split = Split.forSource(this.stage.name, index, range, 0);
      this.sourceIndex.set(split.splitId, index);
      this.queue.push({ split: split.toJSON() });
    });
    this.splitsPlanned = this.sourcePlan.length - this.sourceDone.size;
    this.planned = true;
    this.log.info({ splits: this.splitsPlanned, restored: this.sourceDone.size }, 'planned source splits');
  }

  /**
   * State master -> every master: checkpoint `checkpointId` is taken. A source
   * hands out later splits in the next epoch; every stage completes epochs
   * only up to the last checkpoint taken.
   */
  closeEpoch(checkpointId: number): void {
    this.triggeredEpoch = Math.max(this.triggeredEpoch, checkpointId);
    if (this.isSource) this.sourceEpoch = Math.max(this.sourceEpoch, checkpointId + 1);
    this.pump();
  }

  /** State master -> master: checkpoint `checkpointId` is published; sinks make its writes visible. */
  async commitCheckpoint(checkpointId: number, snapshot: StageSnapshot | undefined, final: boolean): Promise<void> {
    await Promise.all(
      (snapshot?.workers ?? []).map((worker, index) =>
        worker.transaction === undefined ? undefined : this.workers[index]!.ask('commit', worker.transaction)),
    );
    this.log.info({ checkpointId, final }, 'checkpoint committed');
    if (final) this.finalCommitted = true;
    this.pump();
  }

  /** Worker -> master: the next split for `workerIndex`, once one is ready and the output has room. */
  nextSplit(workerIndex: number): Promise<NextSplitReply> {
    return new Promise((resolve) => {
      this.waitingWorkers.set(workerIndex, resolve);
      this.pump();
    });
  }

  /** Worker -> master: a split is done; its output goes to the buffer. */
  splitDone(result: SplitResult): void {
    const splitId = splitIdOf(result.split);
    this.inFlight.delete(splitId);
    this.ledger.done(result.split.epoch);
    this.counts.splitsIn++;
    this.counts.rowsIn += result.rowsIn;
    this.counts.rowsOut += result.rowsOut;
    this.addOutput({ split: result.split, parts: result.parts });
    if (this.isSource) {
      this.sourceDone.set(this.sourceIndex.get(splitId)!, result.split.epoch);
      this.stateMaster.tell('sourceSplitDone', splitId, result.rowsOut)
        .catch((error: unknown) => this.log.error({ err: error }, 'state master did not take source progress'));
    }
    this.pump();
  }

  /** Worker -> master: the operator threw; the stage, and so the job, fails. */
  splitFailed(workerIndex: number, error: SerializedError): void {
    // The error reaches the caller through run(); the log keeps the stage's view of it.
    this.log.info({ worker: workerIndex, error }, 'split failed');
    this.fail(error);
    this.pump();
  }

  /** Worker -> master: the worker closed its operator and stops. */
  workerEnded(workerIndex: number, closeError?: SerializedError): void {
    if (closeError) this.fail(closeError);
    this.endedWorkers.add(workerIndex);
    this.log.debug({ worker: workerIndex, ended: this.endedWorkers.size, of: this.workers.length }, 'worker ended');
    this.pump();
  }

  /** Downstream master -> master: up to `max` finished splits for stage `consumer`. */
  pull(consumer: string, max: number): Promise<PullReply> {
    const reply = this.output.pull(consumer, max);
    reply.then(() => this.pump(), () => undefined);
    return reply;
  }

  /** Stops the stage: workers end after their current split, buffered payloads are freed. */
  abort(reason: SerializedError): void {
    if (this.state === 'running' || this.state === 'created') {
      this.state = 'aborted';
      this.failure ??= reason;
    }
    this.pump();
  }

  /** MetaService -> stage master: a heartbeat. Answered whenever this master's event loop is free. */
  ping(): boolean {
    return true;
  }

  metrics(): StageMetrics {
    return {
      stage: this.params.stage,
      state: this.state,
      workers: this.workers.length,
      splitsPlanned: this.splitsPlanned,
      ...this.counts,
      inFlight: this.inFlight.size,
      queued: this.queue.size,
      buffered: this.output.buffered,
      maxBuffered: this.output.maxBuffered,
      bufferCapacity: this.capacity,
    };
  }

  /**
   * Comedy calls this when this actor is destroyed. Its workers are destroyed
   * here, and their threads and processes waited for ({@link destroyChild}):
   * left to Comedy, they would outlive this actor's thread or process.
   */
  async destroy(): Promise<void> {
    this.releaseExitListeners?.();
    this.outcomeSettled = true;
    this.heartbeats?.stop();
    await Promise.all(this.workers.map((worker) => worker.destroy()));
  }

  private fail(error: SerializedError): void {
    // A stage already stopping keeps the likelier root cause: one aborted because a downstream worker
    // could not fetch this stage's output still reports the loss of the worker that held it.
    if (this.stopping) {
      this.failure = rootCause(this.failure, error);
      return;
    }
    this.state = 'failed';
    this.failure = error;
    this.log.debug({ error, inFlight: [...this.inFlight] }, 'stage failing; waiting for the splits in flight');
  }

  private get stopping(): boolean {
    return this.state === 'failed' || this.state === 'aborted';
  }

  private get isSource(): boolean {
    return this.upstreams.length === 0;
  }

  /** Nothing more will come in, and everything that came in is processed. */
  private get allProcessed(): boolean {
    const noMoreInput = this.isSource ? this.planned : this.upstreams.every((link) => link.done);
    return noMoreInput && this.queue.size === 0 && this.inFlight.size === 0;
  }

  /** Every input split of epochs up to this one has arrived, and a checkpoint was taken for it. */
  private get inputClosedEpoch(): number {
    if (this.isSource) return this.triggeredEpoch;
    return Math.min(this.triggeredEpoch, ...this.upstreams.map((link) => (link.done ? EVERY_EPOCH : link.closedEpoch)));
  }

  /** The highest epoch a split may have to be started now. */
  private get dispatchableEpoch(): number {
    if (!this.aligned) return EVERY_EPOCH;
    return this.completing ? this.completedEpoch : this.completedEpoch + 1;
  }

  /** The master's loop: every event calls it, and it asks the policies what to do next. */
  private pump(): void {
    if (this.state === 'created') return;
    if (this.stopping) this.releaseAll();
    else {
      this.pullInput();
      this.dispatch();
      this.advanceEpochs();
    }
    this.checkFinished();
  }

  private dispatch(): void {
    for (const [workerIndex, reply] of this.waitingWorkers) {
      if (this.finalCommitted) {
        this.waitingWorkers.delete(workerIndex);
        reply({ kind: 'end' });
        continue;
      }
      if (!this.backpressure.canDispatch({ inFlight: this.inFlight.size, buffered: this.output.buffered })) return;
      const item = this.queue.takeFor(workerIndex, this.dispatchableEpoch);
      if (!item) continue;
      if (this.isSource) {
        item.split.epoch = this.sourceEpoch;
        this.ledger.add(item.split.epoch);
      }
      this.waitingWorkers.delete(workerIndex);
      this.inFlight.set(splitIdOf(item.split), workerIndex);
      reply({ kind: 'split', item });
    }
  }

  /**
   * Keeps about one startable split per worker queued. An aligned stage keeps
   * pulling while it waits for a barrier: splits of later epochs wait in its
   * queue rather than in the upstream's buffer, where they would hold back the
   * very splits the barrier waits for.
   */
  private pullInput(): void {
    const startable = this.aligned ? this.queue.countUpTo(this.dispatchableEpoch) : this.queue.size;
    for (const link of this.upstreams) {
      if (link.done || link.pulling) continue;
      if (!this.prefetch.shouldPull(startable, this.workers.length)) continue;
      link.pulling = true;
      link.ref.ask('pull', this.stage.name, this.workers.length).then(
        (reply) => {
          link.pulling = false;
          link.done = reply.done;
          link.closedEpoch = Math.max(link.closedEpoch, reply.closedEpoch);
          for (const entry of reply.entries) this.enqueue(entry);
          if (reply.upstreamStopped) this.abort(serializeError(new JobStoppedError(`upstream stage '${link.stage}' stopped`)));
          this.pump();
        },
        (error: unknown) => {
          link.pulling = false;
          this.fail(serializeError(error));
          this.pump();
        },
      );
    }
  }

  private enqueue(entry: OutputEntry): void {
    const upstreamSplit = Split.fromJSON(entry.split);
    for (const part of entry.parts) {
      const item: WorkItem = { split: upstreamSplit.deriveFor(this.stage.name, part.partition).toJSON(), input: part.payload };
      if (this.stopping) {
        processPayloadStore().discard(part.payload);
        continue;
      }
      this.ledger.add(item.split.epoch);
      this.queue.push(item);
    }
  }

  private addOutput(entry: OutputEntry): void {
    if (entry.parts.length === 0) return;
    this.counts.splitsOut++;
    this.output.add(entry);
  }

  /** Runs `finish()` once the input has ended, then completes the next epoch when its splits are all done. */
  private advanceEpochs(): void {
    if (this.completing || this.state !== 'running') return;
    // A source's part of a checkpoint is its plan and the splits done: none before the plan exists.
    if (this.isSource && !this.planned) return;
    const allProcessed = this.allProcessed;
    if (allProcessed && this.finishState === 'pending') {
      void this.finishWorkers();
      return;
    }
    if (this.finishState === 'running') return;
    if (this.isSource && allProcessed && !this.exhaustionReported) {
      this.exhaustionReported = true;
      this.stateMaster.tell('sourceExhausted', this.stage.name)
        .catch((error: unknown) => this.log.error({ err: error }, 'state master did not take source exhaustion'));
    }
    const next = this.completedEpoch + 1;
    if (next > this.inputClosedEpoch || this.ledger.hasPendingUpTo(next)) return;
    void this.completeEpoch(next, allProcessed);
  }

  private async finishWorkers(): Promise<void> {
    this.finishState = 'running';
    const epoch = this.completedEpoch + 1;
    try {
      const results = await Promise.all(this.workers.map((worker) => worker.ask('finish', epoch)));
      for (const result of results) {
        this.counts.rowsOut += result.rowsOut;
        this.addOutput({ split: result.split, parts: result.parts });
      }
      this.finishState = 'done';
    } catch (error) {
      this.fail(serializeError(error));
    }
    this.pump();
  }

  /** Snapshots the workers for checkpoint `epoch`, tells the state master, and passes the barrier downstream. */
  private async completeEpoch(epoch: number, final: boolean): Promise<void> {
    this.completing = true;
    const ack: StageAck = { checkpointId: epoch, stage: this.stage.name, inFlight: this.heldSplitIds(), final };
    // Splits of later epochs may be done already, or finish while the workers snapshot: their output is not
    // part of this checkpoint, so a restore from it must read them again.
    const sourceDoneUpTo = [...this.sourceDone].filter(([, doneIn]) => doneIn <= epoch).map(([index]) => index).sort((a, b) => a - b);
    try {
      const workers = await Promise.all(this.workers.map((worker) => worker.ask('snapshot', epoch)));
      ack.snapshot = { workers, finished: this.finishState === 'done' };
      if (this.isSource) ack.snapshot.source = { plan: this.sourcePlan, done: sourceDoneUpTo };
    } catch (error) {
      ack.error = serializeError(error);
      this.log.warn({ checkpointId: epoch, err: error }, 'could not save the stage for checkpoint');
    }
    this.completedEpoch = epoch;
    this.completing = false;
    if (final) this.output.closeLastEpoch(epoch);
    else this.output.closeEpoch(epoch);
    this.stateMaster.tell('stageAck', ack).catch((error: unknown) => this.log.error({ err: error }, 'state master did not take the ack'));
    this.pump();
  }

  private heldSplitIds(): string[] {
    return [...this.queue.splitIds(), ...this.inFlight.keys(), ...this.output.heldSplitIds()];
  }

  private releaseAll(): void {
    for (const [workerIndex, reply] of this.waitingWorkers) {
      this.waitingWorkers.delete(workerIndex);
      reply({ kind: 'end' });
    }
    const store = processPayloadStore();
    for (const item of this.queue.drain()) if (item.input) store.discard(item.input);
    for (const entry of this.output.drain()) for (const part of entry.parts) store.discard(part.payload);
    this.output.stop();
  }

  private checkFinished(): void {
    if (this.endedWorkers.size < this.workers.length) return;
    if (this.stopping) {
      const error = this.failure ?? serializeError(new JobStoppedError(`Stage '${this.params.stage}' stopped`));
      this.settle({ metrics: this.metrics(), error });
      return;
    }
    if (this.state !== 'running') return;
    this.state = 'finished';
    this.settle({ metrics: this.metrics() });
  }

  private settle(outcome: StageOutcome): void {
    if (this.outcomeSettled) return;
    this.outcomeSettled = true;
    this.heartbeats?.stop();
    this.log.debug({ error: outcome.error?.message }, 'stage ended');
    this.resolveFinished(outcome);
  }
}
