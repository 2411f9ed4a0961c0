import { OperatorError, serializeError } from '../lib/errors/index.js';
import { partitionPayload } from '../lib/key-partitioner.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { hasKeyedOutput, isFinishing, isStateful, isTransactionalSink, type Operator } from '../lib/operator.js';
import { Split } from '../lib/split.js';
import type { SplitPayload } from '../lib/split-payload.js';
import { processPayloadStore, type LocalPayloadStore } from '../dataplane/local-payload-store.js';
import type { WorkerSnapshot } from '../state/checkpoint-manifest.js';
import { CheckpointStore } from '../state/checkpoint-store.js';
import { openStateBackend } from '../state/open-state-backend.js';
import { loadJob } from './job-loading.js';
import type { OutputPart, SplitResult, WorkItem, WorkerParams } from '../protocol/messages.js';
import type { StageMasterApi, WorkerApi } from '../protocol/actor-apis.js';
import type { ActorLink } from '../protocol/actor-link.js';
import { actorContext, type ComedySelf } from '../comedy-adapter/index.js';

/**
 * Runs one operator instance: asks its stage master for a split whenever it
 * is free, processes it, stores the output in the data plane and reports the
 * payload references back. On request it snapshots the operator's state,
 * pre-commits and commits its sink transactions, and emits end-of-input output.
 */
export default class Worker implements WorkerApi {
  private params!: WorkerParams;
  private master!: ActorLink<StageMasterApi>;
  private operator!: Operator<unknown>;
  private store!: LocalPayloadStore;
  private checkpoints!: CheckpointStore;
  private log!: Logger;
  private closed = false;
  private openEpoch = 0;

  async initialize(self: ComedySelf): Promise<void> {
    const context = actorContext<WorkerParams, StageMasterApi>(self);
    this.params = context.params;
    this.master = context.parent;
    this.store = processPayloadStore();
    if (this.params.servePayloads) await this.store.serve();
    const { spec, stage, workerIndex, parallelism } = this.params;
    this.log = createLogger(spec.logLevel, { actor: 'Worker', job: spec.jobId, stage, worker: workerIndex });
    this.checkpoints = new CheckpointStore(openStateBackend(spec.stateLocation), spec.jobId);
    const job = await loadJob(spec);
    // A producer may keep its event loop, and so its payload server, busy for up to its stage's heartbeat timeout.
    this.store.answerWithin(Math.max(...job.stageNames.map((name) => job.supervisionOf(name).heartbeatTimeoutSecs)) * 1000);
    const definition = job.getStage(stage);
    this.operator = new definition.operator(definition.config, { jobId: spec.jobId, stage, workerIndex, parallelism, logger: this.log });
    await this.operator.open();
    await this.restore(this.params.restore);
  }

  /** Brings back the state and sink transactions of the checkpoint the job resumes from. */
  private async restore(snapshot: WorkerSnapshot | undefined): Promise<void> {
    if (snapshot?.stateKey && isStateful(this.operator)) {
      await this.operator.restoreState(await this.checkpoints.readState(snapshot.stateKey));
    }
    if (isTransactionalSink(this.operator)) {
      // The checkpoint was published, so its transaction is committed, again if it was already.
      if (snapshot?.transaction !== undefined) await this.operator.commit(snapshot.transaction);
      await this.operator.abort();
    }
  }

  /** Stage master -> worker: a heartbeat. Answered whenever the worker's event loop is free. */
  ping(): boolean {
    return true;
  }

  /** Starts the pull loop; returns at once. */
  start(): void {
    this.loop().catch((error: unknown) => this.log.error({ err: error }, 'worker could not report to its stage master'));
  }

  /** Saves what checkpoint `epoch` needs from this worker: operator state, pre-committed sink transaction. */
  async snapshot(epoch: number): Promise<WorkerSnapshot> {
    const snapshot: WorkerSnapshot = {};
    if (isStateful(this.operator)) {
      const state = await this.operator.snapshotState();
      snapshot.stateKey = await this.checkpoints.writeState(epoch, this.params.stage, this.params.workerIndex, state);
    }
    if (isTransactionalSink(this.operator)) snapshot.transaction = await this.operator.preCommit(epoch);
    return snapshot;
  }

  /** Makes a pre-committed sink transaction visible (its checkpoint is published). */
  async commit(transaction: unknown): Promise<void> {
    if (isTransactionalSink(this.operator)) await this.operator.commit(transaction);
  }

  /** The input has ended: the operator emits what it held back (an aggregation's results). */
  async finish(epoch: number): Promise<SplitResult> {
    const split = Split.forFinish(this.params.stage, this.params.workerIndex, epoch);
    let output: SplitPayload | null = null;
    try {
      if (isFinishing(this.operator)) output = await this.operator.finish(split);
    } catch (error) {
      throw new OperatorError(this.params.stage, split.splitId, error);
    }
    return { split: split.toJSON(), rowsIn: 0, rowsOut: output?.numRows ?? 0, parts: this.storeOutput(split, output) };
  }

  private async loop(): Promise<void> {
    const { workerIndex } = this.params;
    try {
      for (;;) {
        const reply = await this.master.ask('nextSplit', workerIndex);
        if (reply.kind === 'end') break;
        const result = await this.process(reply.item);
        if (!result) break;
        await this.master.ask('splitDone', result);
      }
    } catch (error) {
      this.log.error({ err: error }, 'worker loop failed');
      await this.master.ask('splitFailed', workerIndex, serializeError(error));
    }
    await this.end();
  }

  /** Processes one split; on an operator error reports it and returns undefined. */
  private async process(item: WorkItem): Promise<SplitResult | undefined> {
    const split = Split.fromJSON(item.split);
    let output: SplitPayload | null;
    let input: SplitPayload | undefined;
    try {
      input = item.input ? await this.store.take(item.input) : undefined;
    } catch (error) {
      // Not the operator's failure: the process holding the input is gone (PayloadUnavailableError).
      await this.master.ask('splitFailed', this.params.workerIndex, serializeError(error));
      return undefined;
    }
    let rowsIn = input?.numRows ?? 0;
    try {
      await this.beginEpoch(split.epoch);
      output = await this.operator.processSplit(split, input);
    } catch (error) {
      const failure = new OperatorError(this.params.stage, split.splitId, error);
      await this.master.ask('splitFailed', this.params.workerIndex, serializeError(failure));
      return undefined;
    }
    const rowsOut = output?.numRows ?? 0;
    if (!item.input) rowsIn = rowsOut;
    return { split: item.split, rowsIn, rowsOut, parts: this.storeOutput(split, output) };
  }

  private async beginEpoch(epoch: number): Promise<void> {
    if (epoch === this.openEpoch || !isTransactionalSink(this.operator)) return;
    await this.operator.beginTransaction(epoch);
    this.openEpoch = epoch;
  }

  private storeOutput(split: Split, output: SplitPayload | null): OutputPart[] {
    const { consumers, outputPartitions } = this.params;
    if (!output || output.numRows === 0 || consumers === 0) return [];
    if (!hasKeyedOutput(this.operator)) return [{ payload: this.store.put(output, consumers) }];
    const partitions = partitionPayload(output, this.operator.keyField, outputPartitions, (p) => `${split.splitId}.k${p}`);
    const parts: OutputPart[] = [];
    partitions.forEach((payload, partition) => {
      if (payload) parts.push({ payload: this.store.put(payload, consumers), partition });
    });
    return parts;
  }

  private async end(): Promise<void> {
    let closeError;
    try {
      await this.closeOperator();
    } catch (error) {
      closeError = serializeError(new OperatorError(this.params.stage, '(close)', error));
    }
    await this.master.ask('workerEnded', this.params.workerIndex, closeError);
  }

  /** Comedy calls this when the actor is destroyed; a worker that never ran still closes its operator. */
  async destroy(): Promise<void> {
    await this.closeOperator();
  }

  private async closeOperator(): Promise<void> {
    if (this.closed || !this.operator) return;
    this.closed = true;
    await this.operator.close();
  }
}
