import { ActorExitedError, JobStoppedError, OutputLostError, WorkerLostError, describeCause, describeExit, deserializeError, serializeError, type SerializedError } from '../lib/errors/index.js';
import type { JobGraph } from '../lib/job.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { commitsTogetherClass, hasKeyGroupedState, isFinishing, isStatefulOperatorClass, isTransactionalSink } from '../lib/operator.js';
import { isReproducible } from '../lib/lineage.js';
import { chainBounds, chainBufferBound, chainName, keyGroupsOf } from '../lib/chaining.js';
import { splitIdOf } from '../lib/split.js';
import type { Stage } from '../lib/stage.js';
import { processPayloadStore } from '../dataplane/local-payload-store.js';
import type { PayloadRef } from '../dataplane/payload-ref.js';
import type { TransferredBytes } from '../dataplane/payload-transfer.js';
import type { StageSnapshot } from '../state/checkpoint-manifest.js';
import type { OperatorClass } from '../lib/operator.js';
import { actorContext, type ComedySelf } from '../comedy-adapter/index.js';
import type { ActorContext, GlobalStateMasterApi, MetaServiceApi, StageMasterApi, StageWiring } from '../protocol/actor-apis.js';
import type { ActorLink } from '../protocol/actor-link.js';
import type {
  KeyGroupSpread, NextSplitReply, PullReply, SplitResult, StageMasterParams, StageMetrics, StageOutcome, StageState, WorkItem, WorkerPlace,
} from '../protocol/messages.js';
import { workerModeOf, type WorkerHost } from '../lib/placement-config.js';
import { workerCreator, type WorkerCreator, type WorkerStart } from './stage/worker-creation.js';
import { reserveExitListeners } from './exit-listeners.js';
import { relayLink, STATE_MASTER_TARGET } from './master-link.js';
import { loadJob } from './job-loading.js';
import { rootCause } from './root-cause.js';
import { EpochCoordinator } from './stage/epoch-coordinator.js';
import { OutputBuffer } from './stage/output-buffer.js';
import { OutputLineage } from './stage/output-lineage.js';
import { InputsMadeAgain } from './stage/inputs-made-again.js';
import { WorkerHistory } from './stage/worker-history.js';
import { StageScaler } from './stage/stage-scaler.js';
import { Utilization } from './stage/utilization.js';
import { PlannedSourceInput, splitTargetMs } from './stage/source-input.js';
import type { StageInput, StageInputContext } from './stage/stage-input.js';
import { defaultStagePolicies, type StagePolicies } from './stage/stage-policies.js';
import { UpstreamInput } from './stage/upstream-input.js';
import { WorkQueue } from './stage/work-queue.js';
import { ChainCounts } from './stage/chain-counts.js';
import { WorkerPool, type WorkerStartFailure } from './stage/worker-pool.js';
import { SplitDispatcher } from './stage/split-dispatcher.js';
import { SplitTimeouts } from './stage/split-timeouts.js';
import { SplitLatency } from './stage/split-latency.js';
import { WorkerLosses } from './stage/worker-losses.js';

/**
 * One per stage: the actor that hands its stage's splits to the workers that
 * ask for them. It is a loop (`pump`, run on every event) over parts with one
 * job each: the stage's input (planned source splits, or upstream stages'
 * output), a queue of splits waiting for a worker, the worker pool, the
 * output buffer read by downstream stages, the epoch coordinator (its part of
 * each checkpoint, see docs/checkpointing.md), the policies it asks
 * before handing out work or pulling input, the scaler of an elastic stage
 * (docs/autoscaling.md), and what answers a lost worker (WorkerLosses: a
 * replacement alone, from the lineage of its outputs, the history of a
 * stateful chain's workers and the inputs made again, or the stage fails:
 * docs/supervision.md).
 *
 * Longer than our other modules: it holds the fourteen handlers of
 * StageMasterApi and the loop that ties the parts together; the parts do
 * the work.
 */
export default class StageMaster implements StageMasterApi {
  private params!: StageMasterParams;
  private job!: JobGraph;
  /** The chain's first stage: where its input comes in. */
  private stage!: Stage;
  private chain!: string[];
  private counts!: ChainCounts;
  private log!: Logger;
  private context!: ActorContext<StageMasterParams, MetaServiceApi>;
  private policies!: StagePolicies;
  private workers!: WorkerPool;
  private queue!: WorkQueue;
  private dispatcher!: SplitDispatcher;
  private output!: OutputBuffer;
  private epochs!: EpochCoordinator;
  private input: StageInput | undefined;
  private stateMaster!: ActorLink<GlobalStateMasterApi>;
  private readonly endedWorkers = new Set<number>();
  /** How each output was made, while a consumer may still ask for it again; only for a chain that can make its output again. */
  private lineage: OutputLineage | undefined;
  /** What each worker did since the last published checkpoint; only for a chain that keeps state. */
  private history: WorkerHistory | undefined;
  /** The chain's stages whose operators keep state. */
  private statefulStages = new Set<string>();
  /** Splits whose input an upstream stage makes again. */
  private madeAgain!: InputsMadeAgain;
  /** How a lost worker is answered: replaced alone, or the stage fails. */
  private losses!: WorkerLosses;
  private outcomeSettled = false;
  private splitTimeouts!: SplitTimeouts;
  private state: StageState = 'created';
  private failure: SerializedError | undefined;
  private capacity = 0;
  private scaler!: StageScaler;
  private creator!: WorkerCreator;
  private readonly utilization = new Utilization();
  /** How long the splits took, handed out to their result, this attempt. */
  private readonly splitLatency = new SplitLatency();
  /** Bytes of input payloads the workers fetched from other processes, this attempt. */
  private readonly inputBytes: TransferredBytes = { socket: 0, sharedMemory: 0 };
  /** The last checkpoint published: a draining worker whose sink writes it covers may end. */
  private committedEpoch = Number.NEGATIVE_INFINITY;
  /** The chain writes a transactional sink: a draining worker ends only once a checkpoint has committed its writes. */
  private writesTransactions = false;
  /** Its workers run in processes of their own. */
  private forkedWorkers = false;
  /** Gives back the exit listeners reserved for forked workers, those replacing lost ones included. */
  private readonly exitListenerReleases: (() => void)[] = [];
  private resolveFinished!: (outcome: StageOutcome) => void;
  private readonly finished = new Promise<StageOutcome>((resolve) => {
    this.resolveFinished = resolve;
  });

  async initialize(self: ComedySelf): Promise<void> {
    this.context = actorContext<StageMasterParams, MetaServiceApi>(self);
    const params = this.context.params;
    this.params = params;
    this.chain = params.chain;
    this.log = createLogger(params.spec, { actor: 'StageMaster', job: params.spec.jobId, stage: chainName({ stages: params.chain }) });
    this.job = await loadJob(params.spec);
    this.stage = this.job.getStage(this.chain[0]!);
    this.counts = new ChainCounts(this.chain);
    const operators = this.chain.map((stage) => this.job.getStage(stage).operator);
    const downstreams = this.job.downstreamsOf(this.chain[this.chain.length - 1]!);
    const bounds = chainBounds(this.job, this.chain);
    this.statefulStages = new Set(this.chain.filter((_, i) => isStatefulOperatorClass(operators[i]!)));
    this.policies = defaultStagePolicies({
      hasDownstream: downstreams.length > 0, bufferCapacity: () => this.capacity, bounds,
      // State moves between workers by key group only, at a checkpoint.
      elastic: this.movableState(operators),
    });
    // A checkpoint saved by another number of workers is spread over these (actors/stage/restore-layout.ts).
    const workerCount = this.policies.autoscaler.initialWorkers;
    this.capacity = chainBufferBound(this.job, this.chain, workerCount);
    this.output = new OutputBuffer(downstreams, params.firstEpoch - 1);
    this.queue = new WorkQueue(workerCount);
    this.dispatcher = new SplitDispatcher(this.queue);
    this.workers = this.createPool(workerCount);
    const timeouts = this.chain.map((stage) => this.job.getStage(stage).options.splitTimeoutSecs ?? 0);
    this.splitTimeouts = new SplitTimeouts(
      timeouts.some((secs) => secs > 0) ? timeouts.reduce((a, b) => a + b, 0) * 1000 : undefined,
      this.dispatcher,
      (worker, reason) => this.workers.kill(worker, reason),
    );
    const reproducible = downstreams.length > 0 && isReproducible(this.job, this.chain[this.chain.length - 1]!);
    if (reproducible) this.lineage = new OutputLineage();
    this.madeAgain = new InputsMadeAgain({
      reproduce: (part) => this.input!.reproduce(part),
      reproducible: (part) => isReproducible(this.job, part.stage),
      stopping: () => this.stopping,
      pump: () => this.pump(),
    });
    this.writesTransactions = operators.some((operator) => isTransactionalSink(operator.prototype as object));
    const keyGrouped = [...this.statefulStages].every((stage) => hasKeyGroupedState(this.job.getStage(stage).operator));
    const stateRestored = this.chain.some((stage) => params.restore?.[stage]?.workers.some((worker) => worker?.stateKey));
    if (this.statefulStages.size > 0) this.history = new WorkerHistory(this.chain, params.restore, keyGrouped && stateRestored);
    this.epochs = new EpochCoordinator(
      {
        chain: this.chain, log: this.log, workers: this.workers, output: this.output,
        input: () => this.input!, stateMaster: () => this.stateMaster, heldSplitIds: () => this.heldSplitIds(),
        finished: (result) => this.addResult(result, true), fail: (error) => this.fail(error), pump: () => this.pump(),
        snapshotted: (epoch, snapshots) => this.scaler.applyPending((to, hosts) => this.rescaleStateful(epoch, snapshots, to, hosts)),
      },
      {
        firstEpoch: params.firstEpoch,
        aligned: operators.some((operator) => isStatefulOperatorClass(operator)),
        finishing: operators.some((operator) => isFinishing(operator.prototype as object)),
        finished: this.chain.every((stage, i) => !isFinishing(operators[i]!.prototype as object) || params.restore?.[stage]?.finished === true),
        keyGroups: keyGroupsOf(this.job, this.chain[0]!),
        committingTogether: this.chain.filter((_, i) => commitsTogetherClass(operators[i]!)),
      },
    );
    this.scaler = new StageScaler({
      log: this.log, autoscaler: this.policies.autoscaler, utilization: this.utilization,
      workerIndexes: () => this.workers.indexes,
      input: () => ({ queued: this.epochs.startable(this.queue), inputEnded: this.input?.ended ?? false }),
      grant: (wanted) => this.context.parent.ask('grantWorkers', this.stage.name, wanted),
      grow: (count, hosts) => this.grow(count, hosts),
      release: (hosts) => this.releaseHosts(hosts),
      resized: (active) => this.resized(active),
      running: () => this.state === 'running',
      pump: () => this.pump(),
      atCheckpoint: this.statefulStages.size > 0,
      sharesThread: workerModeOf(params.placement, this.stage.name) === 'in-process',
    });
    this.losses = new WorkerLosses({
      stage: this.stage.name, job: this.job, log: this.log, history: this.history,
      replaceable: this.job.supervisionOf(this.stage.name).failover === 'worker'
        && (downstreams.length === 0 || reproducible)
        && !operators.some((operator) => isStatefulOperatorClass(operator) || isFinishing(operator.prototype as object)),
      remote: workerModeOf(params.placement, this.stage.name) === 'remote',
      workers: this.workers, queue: this.queue, dispatcher: this.dispatcher, epochs: this.epochs, splitTimeouts: this.splitTimeouts, madeAgain: this.madeAgain,
      running: () => this.state === 'running',
      settled: () => this.outcomeSettled,
      forget: (index) => this.scaler.lost(index),
      inputDone: (item) => this.inputDone(item),
      ended: (index) => this.endedWorkers.add(index),
      fail: (error) => this.fail(error),
      pump: () => this.pump(),
      // A forked replacement adds its own exit listener; the lost one's is not removed.
      reserveExitListener: () => this.exitListenerReleases.push(reserveExitListeners(this.forkedWorkers ? 1 : 0)),
    }, params.recentLosses ?? []);
    const { failure } = await this.workers.add(workerCount);
    if (!failure) return;
    // A worker that failed to start for another reason (its operator would not open) fails the job as it is.
    if (!(failure.reason instanceof ActorExitedError)) throw failure.reason;
    // A worker whose process or thread died while starting is lost like one that dies later: the stage
    // starts without workers and fails at once, and the runner restarts the job as its policy allows.
    this.fail(serializeError(new WorkerLostError(this.stage.name, failure.index, undefined, describeExit(failure.reason.exit), true)));
  }


  /**
   * Whether the chain's workers may change while it runs: it keeps no
   * state, or keeps it by key group of a keyed input (lib/operator.ts), so
   * that it can move between workers at a checkpoint.
   */
  private movableState(operators: OperatorClass[]): boolean {
    if (this.statefulStages.size === 0) return true;
    return operators.every((operator) => !isStatefulOperatorClass(operator) || hasKeyGroupedState(operator)) && keyGroupsOf(this.job, this.chain[0]!) !== undefined;
  }

  /**
   * A stateful elastic stage changes to `to` workers at checkpoint `epoch`,
   * before any split of the next epoch starts: the key groups are owned anew
   * by the workers that take splits (`owners[partition % owners.length]`),
   * and each worker, new ones included, takes the groups it owns from the
   * snapshots of `epoch`; a drained worker keeps none (it emits nothing at
   * the end). Anything that fails here fails the stage, and the job restarts
   * from its last checkpoint.
   */
  private async rescaleStateful(epoch: number, snapshots: Record<string, StageSnapshot>, to: number, hosts?: WorkerHost[]): Promise<void> {
    const active = this.scaler.active().sort((a, b) => a - b);
    const added = to > active.length ? this.workers.nextIndexes(to - active.length) : [];
    const drained = to < active.length ? active.slice(to) : [];
    const owners = [...active.slice(0, Math.min(to, active.length)), ...added];
    const spread: Record<string, KeyGroupSpread> = {};
    for (const stage of this.statefulStages) {
      spread[stage] = { stateKeys: (snapshots[stage]?.workers ?? []).flatMap((worker) => (worker?.stateKey ? [worker.stateKey] : [])), owners };
    }
    const live = this.workers.indexes;
    await Promise.all(live.map((index) => this.workers.ask(index, 'regroup', spread)));
    if (added.length > 0) {
      // Each new worker takes the next index as it is added: the one the key groups were spread for.
      const { failure } = await this.addWorkers(added.length, { added: true, regroupState: spread }, hosts);
      if (failure) throw failure.reason;
    }
    for (const index of drained) this.scaler.retiring.add(index);
    this.resized(owners);
    this.history?.rescaled(epoch, spread);
    this.log.info({ checkpointId: epoch, owners }, 'key groups moved');
  }

  /** The workers that take splits changed: keyed splits are owned anew, and the output's bound follows their count. */
  private resized(active: number[]): void {
    this.queue.setOwners(active);
    this.capacity = chainBufferBound(this.job, this.chain, active.length);
  }

  /** Starts `count` workers more (an elastic stage grows), on `hosts` (one each) on a cluster; resolves with their indexes. */
  private async grow(count: number, hosts?: WorkerHost[]): Promise<number[]> {
    try {
      const { indexes, failure } = await this.addWorkers(count, { added: true }, hosts);
      if (failure) this.log.warn({ err: failure.reason }, 'could not start more workers; the stage goes on with those it has');
      return indexes;
    } catch (error) {
      // The stage ended meanwhile, or a new worker was lost as it started (its loss is handled as any other).
      this.log.warn({ err: error }, 'an added worker did not start');
      return [];
    }
  }

  /**
   * Creates `count` workers as `start` says, one on each of `hosts` on a
   * cluster, and starts those created; a slot granted for one that could
   * not be created is given back. Rejects if a created one does not start.
   */
  private async addWorkers(count: number, start: WorkerStart, hosts?: WorkerHost[]): Promise<{ indexes: number[]; failure?: WorkerStartFailure }> {
    this.exitListenerReleases.push(reserveExitListeners(this.forkedWorkers ? count : 0));
    // On a cluster one add each, on its host: each takes the next index as it is called.
    const added = hosts
      ? await Promise.all(hosts.map((host) => this.workers.add(1, { ...start, host })))
      : [await this.workers.add(count, start)];
    if (hosts) this.releaseHosts(hosts.filter((_, i) => added[i]?.failure));
    const indexes = added.flatMap((result) => result.indexes);
    await Promise.all(indexes.map((index) => this.workers.ask(index, 'start')));
    if (indexes.length > 0) this.log.info({ workers: indexes }, 'workers added');
    return { indexes, failure: added.find((result) => result.failure)?.failure };
  }

  /**
   * Workers in other processes and threads are watched: an exit, or a
   * heartbeat left unanswered for the stage's timeout, loses the worker, and
   * that fails the stage with a WorkerLostError, which the runner answers by
   * restarting the job from its last completed checkpoint (docs/supervision.md).
   */
  private createPool(workerCount: number): WorkerPool {
    const { params, job } = this;
    this.forkedWorkers = workerModeOf(params.placement, this.stage.name) === 'forked';
    this.creator = workerCreator(this.context, job, workerCount);
    this.exitListenerReleases.push(reserveExitListeners(this.forkedWorkers ? workerCount : 0));
    return new WorkerPool({
      create: this.creator,
      heartbeatTimeoutMs: job.supervisionOf(this.stage.name).heartbeatTimeoutSecs * 1000,
      onLost: (index, exit, killedBecause) => this.losses.lost(index, exit, killedBecause),
      log: this.log,
    });
  }

  /**
   * Names the master's upstream stages and how to reach them and the state
   * master: by the links that follow when this master shares the
   * MetaService's process, else through the MetaService ({@link relayLink}).
   */
  connect({ upstreams }: StageWiring, stateMaster?: ActorLink<GlobalStateMasterApi>, ...upstreamLinks: ActorLink<StageMasterApi>[]): void {
    this.stateMaster = stateMaster ?? relayLink<GlobalStateMasterApi>(this.context.parent, STATE_MASTER_TARGET);
    const inputContext: StageInputContext = {
      stage: this.stage, log: this.log, queue: this.queue, ledger: this.epochs.ledger, stateMaster: () => this.stateMaster,
      stopping: () => this.stopping, fail: (error) => this.fail(error), abort: (reason) => this.abort(reason), pump: () => this.pump(),
    };
    this.input = upstreams.length === 0
      ? new PlannedSourceInput(inputContext, this.params.spec.jobId, this.params.firstEpoch, this.params.restore?.[this.stage.name]?.source, splitTargetMs(this.job))
      : new UpstreamInput(
        inputContext,
        upstreams.map((stage, i) => ({ stage, link: upstreamLinks[i] ?? relayLink<StageMasterApi>(this.context.parent, stage) })),
        this.params.firstEpoch - 1,
      );
  }

  /** Starts the stage; resolves when every worker has finished, with the stage's metrics and error if it failed. */
  async run(): Promise<StageOutcome> {
    // A stage aborted before it ran still starts its workers, which then end at once.
    if (this.state === 'created') this.state = 'running';
    try {
      await this.workers.askAll('start');
      if (!this.stopping) await this.input!.start(this.workers.size);
      this.scaler.start();
      this.splitTimeouts.start();
    } catch (error) {
      this.fail(serializeError(error));
    }
    this.pump();
    return this.finished;
  }

  /**
   * State master -> every master: checkpoint `checkpointId` is taken. A source
   * hands out later splits in the next epoch; every stage completes epochs
   * only up to the last checkpoint taken.
   */
  closeEpoch(checkpointId: number): void {
    this.epochs.closeEpoch(checkpointId);
    this.input?.epochClosed(checkpointId);
    this.pump();
  }

  /** State master -> master: checkpoint `checkpointId` is published; sinks make its writes visible. */
  async commitCheckpoint(checkpointId: number, snapshots: Record<string, StageSnapshot>, final: boolean): Promise<void> {
    await this.epochs.commit(checkpointId, snapshots, final);
    this.history?.published(checkpointId, snapshots);
    this.committedEpoch = Math.max(this.committedEpoch, checkpointId);
    for (const payload of this.lineage?.prune(checkpointId) ?? []) processPayloadStore().discard(payload);
    this.pump();
  }

  /** Worker -> master: the next split for `workerIndex`, once one is ready and the output has room. */
  nextSplit(workerIndex: number): Promise<NextSplitReply> {
    return new Promise((resolve) => {
      this.dispatcher.wait(workerIndex, resolve);
      this.pump();
    });
  }

  /** Worker -> master: a split is done; its output goes to the buffer, or to the consumer that asked for it again. */
  splitDone(result: SplitResult): void {
    const splitId = splitIdOf(result.split);
    const worker = this.dispatcher.workerOf(splitId);
    const resulted = this.dispatcher.resulted(splitId);
    const item = resulted?.item;
    if (resulted) this.splitLatency.record(resulted.heldMs);
    if (result.inputTransfer) this.inputBytes[result.inputTransfer.transport] += result.inputTransfer.bytes;
    this.inputDone(item);
    if (item?.reproduce) {
      this.reproduced(result);
      this.pump();
      return;
    }
    this.epochs.ledger.done(result.split.epoch);
    if (item && worker !== undefined) {
      const emitted = result.stages.some(({ stage, rowsOut }) => this.statefulStages.has(stage) && rowsOut > 0);
      this.history?.record(worker, { split: item.split, ...(item.from ? { from: item.from } : {}) }, emitted);
    }
    if (item?.replay) {
      if (result.parts.length > 0) this.output.add({ split: result.output, parts: result.parts });
    } else {
      if (item && result.parts.length > 0) this.lineage?.record(splitIdOf(result.output), item);
      this.addResult(result, false);
      this.input!.splitDone(result);
    }
    this.pump();
  }

  /** A split run again for a consumer that lost its output: its parts go to the consumers that ask for them again. */
  private reproduced(result: SplitResult): void {
    for (const payload of this.lineage?.ran(splitIdOf(result.output), result.output.epoch, result.parts) ?? []) processPayloadStore().discard(payload);
  }

  /** Worker -> master: the operator threw; the stage, and so the job, fails. */
  splitFailed(workerIndex: number, error: SerializedError): void {
    const item = this.dispatcher.takeBack(workerIndex);
    this.inputDone(item);
    // The error reaches the caller through run(); the log keeps the stage's view of it.
    this.log.info({ worker: workerIndex, splitId: item && splitIdOf(item.split), error }, 'split failed');
    this.fail(error);
    this.pump();
  }

  /**
   * Worker -> master: the input of a split could not be read, because the
   * process that held it is gone (PayloadUnavailableError) or no longer has
   * it (PayloadFetchError). When its upstream stage can make it again, it is
   * asked to, and the split waits for it, still pending in its epoch; the
   * worker goes on with other splits. Otherwise the stage fails; for a split
   * that a lost worker's replacement runs again, as a lost worker, so that
   * the job restarts from its last checkpoint (a checkpoint published since
   * the loss may have let the upstream stage drop that input and how it
   * was made).
   */
  inputLost(workerIndex: number, splitId: string, error: SerializedError): void {
    const item = this.dispatcher.done(splitId);
    // The lost payload's holder, if alive, may drop it.
    this.inputDone(item);
    const failure = (reason: unknown) => (item?.replay
      ? serializeError(new WorkerLostError(this.stage.name, workerIndex, splitId, `the input of a split to run again on its replacement is lost: ${describeCause(reason)}`))
      : error);
    if (!item?.from || !this.madeAgain.canMakeAgain(item, error)) {
      this.log.info({ worker: workerIndex, splitId, error }, 'split input lost');
      this.fail(failure(deserializeError(error)));
      this.pump();
      return;
    }
    this.log.warn({ worker: workerIndex, splitId, upstream: item.from.splitId, why: error.message }, 'split input lost; asking its stage to make it again');
    this.madeAgain.makeAgain(
      { ...item, from: item.from },
      (again) => (again.reproduce ? this.queue.pushUrgent(again) : this.queue.requeue(again)),
      (reason) => {
        this.log.warn({ splitId, err: reason }, 'the upstream stage could not make the lost input again');
        this.fail(failure(reason));
      },
    );
    this.pump();
  }

  /**
   * Downstream master -> master: runs the split that made output `splitId`
   * again, for `consumer`, which lost the part `partition` of it; resolves
   * with that part (see {@link OutputLineage}).
   */
  async reproduce(consumer: string, splitId: string, partition?: number | null): Promise<PayloadRef> {
    // An absent partition may cross a process boundary as null.
    const part = typeof partition === 'number' ? partition : undefined;
    const stage = chainName({ stages: this.chain });
    const lineage = this.lineage;
    const item = lineage?.itemFor(splitId);
    if (!lineage || !item) throw new OutputLostError(stage, splitId, 'the stage keeps no record of how it was made');
    await lineage.acquire(splitId);
    try {
      if (this.stopping) throw new OutputLostError(stage, splitId, 'the stage is stopping');
      // Made again already, for another consumer or partition that lost it too.
      const kept = lineage.takeRemade(splitId, part, consumer);
      if (kept) return kept;
      // An input from upstream was dropped once the split was done: it is made again first.
      const input = item.from ? await this.input!.reproduce(item.from) : undefined;
      const result = lineage.result(splitId);
      this.log.info({ consumer, splitId, partition: part }, 'running a split again for a consumer that lost its output');
      this.queue.pushUrgent({ split: item.split, ...(input ? { input, from: item.from } : {}), redo: true, reproduce: true });
      this.pump();
      await result;
      const remade = lineage.takeRemade(splitId, part, consumer);
      if (!remade) {
        throw new OutputLostError(stage, splitId, `run again, it gave no rows for partition ${part ?? '(none)'}: a stage's operators must give the same rows each time a split runs`);
      }
      return remade;
    } finally {
      lineage.release(splitId);
    }
  }

  /** Worker -> master: the worker closed its operator and stops. */
  workerEnded(workerIndex: number, closeError?: SerializedError): void {
    if (closeError) this.fail(closeError);
    if (this.scaler.ended(workerIndex)) {
      // A drained worker: it leaves the pool, and its process or thread ends; on a cluster its slot is free again.
      this.log.debug({ worker: workerIndex }, 'drained worker ended');
      const host = this.creator.hostOf(workerIndex);
      if (host) this.releaseHosts([host]);
      // Once it has left the pool the stage may be finished: the loop runs again then.
      this.workers.retire(workerIndex).then(
        () => this.pump(),
        (error: unknown) => this.log.error({ err: error, worker: workerIndex }, 'could not stop a drained worker'),
      );
      this.pump();
      return;
    }
    this.endedWorkers.add(workerIndex);
    this.log.debug({ worker: workerIndex, ended: this.endedWorkers.size, of: this.workers.size }, 'worker ended');
    this.pump();
  }

  /** Downstream master -> master: up to `max` finished splits for stage `consumer`. */
  pull(consumer: string, max: number): Promise<PullReply> {
    const reply = this.output.pull(consumer, max);
    reply.then(() => this.pump(), () => undefined);
    return reply;
  }

  /**
   * A draining stop: the stage hands out no source split for the first time
   * from now on, so the checkpoint taken next holds everything read before
   * the stop, and no split is read only to be read again on resume.
   */
  holdInput(): void {
    this.input?.hold();
    this.pump();
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

  /**
   * Per stage of the chain: its own counts; the chain's workers and splits
   * in flight; the queue at the first stage, the output buffer at the last.
   */
  metrics(): StageMetrics[] {
    const head = this.chain[0];
    const tail = this.chain[this.chain.length - 1];
    return this.chain.map((stage) => ({
      stage,
      ...(this.chain.length > 1 ? { chain: this.chain } : {}),
      state: this.state,
      workers: this.workers.size,
      splitsPlanned: stage === head ? this.input?.splitsPlanned : undefined,
      ...this.counts.of(stage),
      inFlight: this.dispatcher.inFlightCount,
      ...(stage === head && this.losses.replacedAt.length > 0 ? { replacedAt: [...this.losses.replacedAt] } : {}),
      ...(stage === head && this.losses.lostWorkers.length > 0 ? { lostWorkers: this.losses.lostWorkers } : {}),
      ...(stage === head ? { workerPlaces: this.workerPlaces() } : {}),
      ...(stage === head ? { workerTime: this.utilization.totals(), splitLatency: this.splitLatency.histogram() } : {}),
      ...(stage === head ? { dataPlaneBytes: { ...this.inputBytes } } : {}),
      ...(stage === head && this.policies.autoscaler.elastic
        ? { scaling: { target: this.scaler.targetWorkers, reason: this.scaler.reason, ...this.scaler.load, decisions: this.scaler.history() } }
        : {}),
      queued: stage === head ? this.queue.size : 0,
      buffered: stage === tail ? this.output.buffered : 0,
      maxBuffered: stage === tail ? this.output.maxBuffered : 0,
      bufferCapacity: stage === tail ? this.capacity : 0,
    }));
  }

  private workerPlaces(): WorkerPlace[] {
    const mode = workerModeOf(this.context.params.placement, this.chain[0]!);
    return this.workers.indexes.map((worker) => {
      const host = this.creator.hostOf(worker);
      return { worker, mode, ...(host ? { host: `${host.host}:${host.port}` } : {}) };
    });
  }

  /**
   * Comedy calls this when this actor is destroyed. Its workers are destroyed
   * here, and their threads and processes waited for: left to Comedy, they
   * would outlive this actor's thread or process.
   */
  async destroy(): Promise<void> {
    for (const release of this.exitListenerReleases.splice(0)) release();
    this.outcomeSettled = true;
    this.scaler?.stop();
    this.splitTimeouts?.stop();
    await this.workers?.destroy();
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
    this.log.debug({ error, inFlight: this.dispatcher.inFlightIds() }, 'stage failing; waiting for the splits in flight');
  }

  private get stopping(): boolean {
    return this.state === 'failed' || this.state === 'aborted';
  }

  /** Nothing more will come in, and everything that came in is processed. */
  private get allProcessed(): boolean {
    return this.input!.ended && this.queue.size === 0 && this.dispatcher.inFlightCount === 0 && this.madeAgain.size === 0;
  }

  /** The master's loop: every event calls it, and it asks the policies what to do next. */
  private pump(): void {
    if (this.state === 'created') return;
    if (this.stopping) this.releaseAll();
    else {
      if (this.policies.prefetch.shouldPull(this.epochs.startable(this.queue), this.workers.size)) this.input!.pull(this.workers.size);
      if (this.epochs.finalCommitted) this.dispatcher.end();
      const mayStart = () => this.policies.backpressure.canDispatch({ inFlight: this.dispatcher.inFlightCount, buffered: this.output.buffered });
      const maxEpoch = this.epochs.dispatchableEpoch;
      const takeable = (item: WorkItem) => item.split.epoch <= maxEpoch && this.input!.mayHandOut(item);
      this.dispatcher.dispatch(takeable, mayStart, (item, worker) => {
        if (!item.reproduce && !item.replay) this.input!.dispatching(item);
        this.scaler.dispatched(worker, item.split.epoch);
      }, (worker) => this.draining(worker));
      this.endDrained();
      if (this.state === 'running') this.epochs.advance(this.allProcessed);
      this.measure(mayStart());
    }
    this.checkFinished();
  }

  /**
   * A draining worker takes no split, but those queued for it alone: a lost
   * worker's split, which its replacement must write where the lost one began
   * to (a sink's staging folder is the worker index's).
   */
  private draining(worker: number): boolean {
    return this.scaler.retiring.has(worker) && !this.queue.hasPinned(worker);
  }

  /** Slots on hosts this stage no longer uses. */
  private releaseHosts(hosts: WorkerHost[]): void {
    for (const host of hosts) this.context.parent.tell('releaseWorker', this.stage.name, host).catch((error: unknown) => this.log.warn({ err: error }, 'could not give a slot back'));
  }

  /** Draining workers that wait for a split and whose sink writes a published checkpoint covers end now. */
  private endDrained(): void {
    for (const worker of this.dispatcher.waitingWorkers()) {
      if (this.draining(worker) && this.scaler.retiringMayEnd(worker, this.committedEpoch, this.writesTransactions)) this.dispatcher.end(worker);
    }
  }

  /** How the workers spend their time now ({@link Utilization}): an idle one is blocked if splits wait but the output is full, starved if none wait but more input comes. */
  private measure(outputHasRoom: boolean): void {
    const waiting = this.dispatcher.waitingWorkers().filter((worker) => !this.scaler.retiring.has(worker)).length;
    // Counted only when some worker waits: the queue may be long.
    const startable = waiting > 0 ? this.epochs.startable(this.queue) : 0;
    const inputComing = !this.input!.ended || this.madeAgain.size > 0;
    this.utilization.update({
      workers: this.workers.size,
      busy: this.dispatcher.inFlightCount,
      blocked: waiting > 0 && startable > 0 && !outputHasRoom ? waiting : 0,
      starved: waiting > 0 && startable === 0 && inputComing ? waiting : 0,
    });
  }

  /** A worker's result: its output goes to the buffer, its counts to the stages that ran. */
  private addResult(result: SplitResult, fromFinish: boolean): void {
    this.counts.record(result.stages, result.parts.length > 0, fromFinish);
    if (result.parts.length > 0) this.output.add({ split: result.output, parts: result.parts });
  }

  /** The split's input payload, read by its worker and kept for it by its producer, may be freed. */
  private inputDone(item: WorkItem | undefined): void {
    if (item?.input) processPayloadStore().done(item.input);
  }

  private heldSplitIds(): string[] {
    return [...this.queue.splitIds(), ...this.dispatcher.inFlightIds(), ...this.madeAgain.splitIds(), ...this.output.heldSplitIds()];
  }

  private releaseAll(): void {
    this.dispatcher.end();
    const store = processPayloadStore();
    for (const item of this.queue.drain()) if (item.input) store.discard(item.input);
    for (const entry of this.output.drain()) for (const part of entry.parts) store.discard(part.payload);
    this.output.stop();
    for (const payload of this.lineage?.stop(new OutputLostError(chainName({ stages: this.chain }), undefined, 'the stage stopped')) ?? []) store.discard(payload);
  }

  private checkFinished(): void {
    if (this.endedWorkers.size < this.workers.size) return;
    if (this.stopping) {
      const error = this.failure ?? serializeError(new JobStoppedError(`Stage '${chainName({ stages: this.chain })}' stopped`));
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
    this.scaler.stop();
    this.splitTimeouts.stop();
    this.workers.stopWatching();
    this.log.debug({ error: outcome.error?.message }, 'stage ended');
    this.resolveFinished(outcome);
  }
}
