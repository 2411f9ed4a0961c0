import { JobDefinitionError, OperatorError, RECORD_TEXT_LIMIT, RestoreRefusedError, serializeError } from '../lib/errors/index.js';
import { partitionPayload } from '../lib/key-partitioner.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { commitsTogether, hasKeyedOutput, isFinishing, isStateful, isTransactionalSink, refuseBadRecord, type KeyGroupedState, type Operator } from '../lib/operator.js';
import { Split } from '../lib/split.js';
import type { SplitPayload } from '../lib/split-payload.js';
import type { JobSpec } from '../lib/job-spec.js';
import type { DeadLetterWriter } from './dead-letter.js';
import { deadLetterWriter } from './dead-letters.js';
import { SplitErrors } from './split-errors.js';
import { processPayloadStore, type LocalPayloadStore } from '../dataplane/local-payload-store.js';
import type { WorkerSnapshot } from '../state/checkpoint-manifest.js';
import { CheckpointStore } from '../state/checkpoint-store.js';
import { openStateBackend } from '../state/open-state-backend.js';
import { loadJob } from './job-loading.js';
import type { FetchedPayload } from '../dataplane/payload-transfer.js';
import {
  ERROR_SAMPLES, type KeyGroupSpread, type OutputPart, type SplitResult, type StageSplitCount, type WorkItem, type WorkerParams, type WorkerSnapshots,
} from '../protocol/messages.js';
import type { StageMasterApi, WorkerApi } from '../protocol/actor-apis.js';
import type { ActorLink } from '../protocol/actor-link.js';
import { actorContext, type ComedySelf } from '../comedy-adapter/index.js';

/** One operator of the worker's chain. */
interface ChainedOperator {
  stage: string;
  operator: Operator<unknown>;
  /** The stage writes records that failed upstream: its splits report their first rows. */
  errorOutput: boolean;
  /** The stage's error policy (StageOptions onError, maxRetries). */
  errors: SplitErrors;
  /** Where its bad records go under `onError: 'dead-letter'`. */
  deadLetters?: DeadLetterWriter;
  /** The epoch whose sink transaction is open. */
  openEpoch: number;
}

/** What the chain made of one split. */
interface ChainRun {
  output: SplitPayload | null;
  /** The split of the chain's last stage, which the output belongs to. */
  outputSplit: Split;
  stages: StageSplitCount[];
}

/**
 * Runs one operator instance per stage of its master's chain (one stage, or
 * several fused: docs/architecture.md#operator-fusion): asks its stage master
 * for a split whenever it is free, runs the operators on it in turn, each on
 * the previous one's output by reference, stores the last one's output in the
 * data plane and reports the payload references back. On request it
 * snapshots the operators' state, pre-commits and commits their sink
 * transactions, and emits end-of-input output.
 */
export default class Worker implements WorkerApi {
  private params!: WorkerParams;
  private master!: ActorLink<StageMasterApi>;
  private chain: ChainedOperator[] = [];
  private store!: LocalPayloadStore;
  private checkpoints!: CheckpointStore;
  private log!: Logger;
  private closed = false;
  /** Whether this worker serves its process's payloads to other processes ({@link LocalPayloadStore.serve}). */
  private serving = false;

  async initialize(self: ComedySelf): Promise<void> {
    const context = actorContext<WorkerParams, StageMasterApi>(self);
    this.params = context.params;
    this.master = context.parent;
    this.store = processPayloadStore();
    const { spec, chain, workerIndex, parallelism } = this.params;
    this.log = createLogger(spec, { actor: 'Worker', job: spec.jobId, stage: chain.join('+'), worker: workerIndex });
    this.checkpoints = new CheckpointStore(openStateBackend(spec.stateLocation), spec.jobId);
    const job = await loadJob(spec);
    // A producer may keep its event loop, and so its payload server, busy for up to its stage's heartbeat timeout.
    this.store.answerWithin(Math.max(...job.stageNames.map((name) => job.supervisionOf(name).heartbeatTimeoutSecs)) * 1000);
    for (const [index, stage] of chain.entries()) {
      const definition = job.getStage(stage);
      const { onError = 'fail', maxRetries = 0, splitTimeoutSecs } = definition.options;
      const site = { jobId: spec.jobId, stage, workerIndex, parallelism, logger: this.log.child({ stage }), ...(spec.run ? { run: spec.run } : {}) };
      const deadLetters = onError === 'dead-letter' ? deadLetterWriter(deadLetterLocation(spec, stage), { ...site, badRecord: refuseBadRecord }) : undefined;
      const errors = new SplitErrors(stage, onError, maxRetries, deadLetters, site.logger, splitTimeoutSecs);
      const operator = new definition.operator(definition.config, { ...site, badRecord: errors.badRecord });
      if (index < chain.length - 1 && hasKeyedOutput(operator)) {
        throw new JobDefinitionError(
          `Stage '${stage}' has keyed output, but its operator class does not say so: add \`static readonly keyedOutput = true\` to it ` +
            '(the plan fused it with the next stage, which would skip the shuffle)',
        );
      }
      this.chain.push({
        stage, operator, errorOutput: definition.options.errorOutput === true, errors, openEpoch: 0,
        ...(deadLetters ? { deadLetters } : {}),
      });
      await operator.open();
      await deadLetters?.open();
    }
    await this.restore();
    // Last: a worker that fails to start is never destroyed, and would keep the server running.
    if (this.params.servePayloads) {
      await this.store.serve();
      this.serving = true;
    }
  }

  /**
   * Brings back the state and sink transactions of the checkpoint the job
   * resumes from. A replacement of a lost worker brings back the state it is
   * given (a stateful chain's, from the last published checkpoint) and no
   * transaction: the job goes on, and what the lost worker staged is the
   * replacement's to commit.
   */
  private async restore(): Promise<void> {
    for (const { stage, operator, deadLetters } of this.chain) {
      const snapshot = this.params.restore?.[stage];
      const regroup = this.params.regroupState?.[stage];
      if (regroup && isStateful(operator)) {
        const owned = await this.keyGroupsOwned(stage, regroup);
        this.log.info({ stage, savedBy: regroup.stateKeys.length, keyGroups: Object.keys(owned.keyGroups).map(Number) }, 'state restored by key group');
        await operator.restoreState(owned);
      }
      else if (snapshot?.stateKey && isStateful(operator)) await operator.restoreState(await this.checkpoints.readState(snapshot.stateKey));
      if (this.params.replacement) continue;
      if (deadLetters) {
        if (snapshot?.deadLetters !== undefined) await deadLetters.commit(snapshot.deadLetters);
        for (const adopted of this.params.adoptedDeadLetters?.[stage] ?? []) await deadLetters.commit(adopted);
        await deadLetters.abort();
      }
      if (commitsTogether(operator)) {
        // Worker 0 commits every saved worker's transaction (restoreLayout gives it them all) and drops the rest, before any worker starts.
        if (this.params.workerIndex !== 0) continue;
        await operator.commitTogether(this.params.adoptedTransactions?.[stage] ?? [], { final: false, restore: true });
        await operator.abort();
      } else if (isTransactionalSink(operator)) {
        // The checkpoint was published, so its transactions are committed, again if they were already.
        if (snapshot?.transaction !== undefined) await operator.commit(snapshot.transaction);
        for (const adopted of this.params.adoptedTransactions?.[stage] ?? []) await operator.commit(adopted);
        await operator.abort();
      }
    }
  }

  /** Stage master -> worker: the stage's workers changed at a checkpoint; the state becomes the key groups this worker owns now. */
  async regroup(spread: Record<string, KeyGroupSpread>): Promise<void> {
    for (const { stage, operator } of this.chain) {
      if (spread[stage] && isStateful(operator)) await operator.restoreState(await this.keyGroupsOwned(stage, spread[stage]));
    }
  }

  /**
   * The key groups this worker owns now (see KeyGroupSpread), gathered from
   * the state every saved worker wrote. State of unpartitioned input (key
   * group -1) cannot be spread: each saved worker may hold any key.
   */
  private async keyGroupsOwned(stage: string, spread: KeyGroupSpread): Promise<KeyGroupedState> {
    const keyGroups: Record<string, unknown> = {};
    const { stateKeys, owners } = spread;
    for (const stateKey of stateKeys) {
      const saved = (await this.checkpoints.readState(stateKey)) as KeyGroupedState;
      for (const [keyGroup, groups] of Object.entries(saved.keyGroups)) {
        if (Number(keyGroup) < 0) throw new RestoreRefusedError(stage, stateKeys.length, owners.length);
        if (owners[Number(keyGroup) % owners.length] === this.params.workerIndex) keyGroups[keyGroup] = groups;
      }
    }
    return { keyGroups };
  }

  /** Stage master -> worker: a heartbeat. Answered whenever the worker's event loop is free. */
  ping(): boolean {
    return true;
  }

  /** Starts the pull loop; returns at once. */
  start(): void {
    this.loop().catch((error: unknown) => this.log.error({ err: error }, 'worker could not report to its stage master'));
  }

  /** Saves what checkpoint `epoch` needs from each operator: its state, its pre-committed sink transaction. */
  async snapshot(epoch: number): Promise<WorkerSnapshots> {
    const stages: Record<string, WorkerSnapshot> = {};
    let stateBytes = 0;
    for (const { stage, operator, deadLetters } of this.chain) {
      const snapshot: WorkerSnapshot = {};
      if (isStateful(operator)) {
        const saved = await this.checkpoints.writeState(epoch, stage, this.params.workerIndex, await operator.snapshotState());
        snapshot.stateKey = saved.key;
        stateBytes += saved.bytes;
      }
      if (isTransactionalSink(operator)) snapshot.transaction = await operator.preCommit(epoch);
      if (deadLetters) snapshot.deadLetters = await deadLetters.preCommit(epoch);
      stages[stage] = snapshot;
    }
    return { stages, stateBytes };
  }

  /** Makes pre-committed sink transactions visible (their checkpoint is published), by stage. */
  async commit(transactions: Record<string, unknown>, deadLetters: Record<string, unknown> = {}): Promise<void> {
    for (const { stage, operator, deadLetters: writer } of this.chain) {
      if (transactions[stage] !== undefined && isTransactionalSink(operator)) await operator.commit(transactions[stage]);
      if (deadLetters[stage] !== undefined && writer) await writer.commit(deadLetters[stage]);
    }
  }

  /** Makes every worker's pre-committed transaction of a sink that commits together visible, in one commit. */
  async commitTogether(stage: string, handles: unknown[], final: boolean): Promise<void> {
    const operator = this.chain.find((link) => link.stage === stage)?.operator;
    if (operator && commitsTogether(operator)) await operator.commitTogether(handles, { final, restore: false });
  }

  /**
   * The input has ended: each operator that holds output back (an
   * aggregation) emits it, in chain order, and it runs through the rest of
   * the chain before the next one finishes.
   */
  async finish(epoch: number): Promise<SplitResult[]> {
    const results: SplitResult[] = [];
    for (const [index, { stage, operator }] of this.chain.entries()) {
      if (!isFinishing(operator)) continue;
      const split = Split.forFinish(stage, this.params.workerIndex, epoch);
      let output: SplitPayload | null;
      try {
        output = await operator.finish(split);
      } catch (error) {
        throw new OperatorError(stage, split.splitId, error);
      }
      const rest = await this.runChain(index + 1, split, output, false);
      const stages = [{ stage, rowsIn: 0, rowsOut: output?.numRows ?? 0 }, ...rest.stages];
      results.push({ split: split.toJSON(), output: rest.outputSplit.toJSON(), parts: this.storeOutput(rest.outputSplit, rest.output), stages });
    }
    return results;
  }

  private async loop(): Promise<void> {
    const { workerIndex } = this.params;
    try {
      for (;;) {
        const reply = await this.master.ask('nextSplit', workerIndex);
        if (reply.kind === 'end') break;
        const result = await this.process(reply.item);
        if (result === 'input lost') continue;
        if (!result) break;
        await this.master.ask('splitDone', result);
      }
    } catch (error) {
      this.log.error({ err: error }, 'worker loop failed');
      await this.master.ask('splitFailed', workerIndex, serializeError(error));
    }
    await this.end();
  }

  /**
   * Processes one split; on an operator error reports it and returns
   * undefined. An input that cannot be read is not the operator's failure:
   * the process holding it is gone, and the master may have it made again,
   * so the worker reports it and goes on.
   */
  private async process(item: WorkItem): Promise<SplitResult | 'input lost' | undefined> {
    const split = Split.fromJSON(item.split);
    let input: FetchedPayload | undefined;
    try {
      // Held by its producer until the stage master says this split is done with it: a replacement may read it again.
      input = item.input ? await this.store.readWithTransfer(item.input) : undefined;
    } catch (error) {
      await this.master.ask('inputLost', this.params.workerIndex, split.splitId, serializeError(error));
      return 'input lost';
    }
    let run: ChainRun;
    try {
      run = await this.runChain(0, split, input?.payload ?? null, !item.input, item.timedOut);
    } catch (error) {
      await this.master.ask('splitFailed', this.params.workerIndex, serializeError(error));
      return undefined;
    }
    return {
      split: item.split, output: run.outputSplit.toJSON(), parts: this.storeOutput(run.outputSplit, run.output), stages: run.stages,
      ...(input?.transfer ? { inputTransfer: input.transfer } : {}),
    };
  }

  /**
   * Runs the operators from `from` on, each on the previous one's output. A
   * stage whose input is empty does not run, as an unfused stage gets no split
   * for an empty output; only a source split runs its stage with no input.
   */
  private async runChain(from: number, split: Split, input: SplitPayload | null, sourceSplit: boolean, timedOut?: number): Promise<ChainRun> {
    // A split whose worker was killed for running past its timeout fails at the first stage that sets one, without running again.
    const hung = timedOut === undefined ? -1 : this.chain.findIndex((member, index) => index >= from && member.errors.timeoutSecs !== undefined);
    const stages: StageSplitCount[] = [];
    let current = split;
    let data = input;
    for (let index = from; index < this.chain.length; index++) {
      const member = this.chain[index]!;
      if (current.stage !== member.stage) current = current.deriveFor(member.stage);
      if (!(sourceSplit && index === 0) && (!data || data.numRows === 0)) {
        data = null;
        continue;
      }
      const rowsIn = data?.numRows ?? 0;
      const samples = member.errorOutput && data ? recordSamples(data) : undefined;
      const split = current;
      const input = data;
      const outcome = await member.errors.run(split, input, async () => {
        await this.beginEpoch(member, split.epoch);
        return member.operator.processSplit(split, input ?? undefined);
      }, index === hung ? timedOut : undefined);
      data = outcome.output;
      const rowsOut = data?.numRows ?? 0;
      stages.push({
        stage: member.stage, rowsIn: sourceSplit && index === 0 ? rowsOut + outcome.skipped + outcome.deadLettered : rowsIn, rowsOut,
        ...(samples ? { samples } : {}),
        ...(outcome.skipped > 0 ? { skipped: outcome.skipped } : {}),
        ...(outcome.deadLettered > 0 ? { deadLettered: outcome.deadLettered } : {}),
      });
    }
    return { output: data, outputSplit: current, stages };
  }

  private async beginEpoch(member: ChainedOperator, epoch: number): Promise<void> {
    if (epoch === member.openEpoch || !isTransactionalSink(member.operator)) return;
    await member.operator.beginTransaction(epoch);
    member.openEpoch = epoch;
  }

  private storeOutput(split: Split, output: SplitPayload | null): OutputPart[] {
    const { consumers, outputPartitions } = this.params;
    if (!output || output.numRows === 0 || consumers === 0) return [];
    const tail = this.chain[this.chain.length - 1]!.operator;
    if (!hasKeyedOutput(tail)) return [{ payload: this.store.put(output, consumers) }];
    const partitions = partitionPayload(output, tail.keyField, outputPartitions, (p) => `${split.splitId}.k${p}`);
    const parts: OutputPart[] = [];
    partitions.forEach((payload, partition) => {
      if (payload) parts.push({ payload: this.store.put(payload, consumers), partition });
    });
    return parts;
  }

  private async end(): Promise<void> {
    let closeError;
    try {
      await this.closeOperators();
    } catch (error) {
      closeError = serializeError(error);
    }
    await this.master.ask('workerEnded', this.params.workerIndex, closeError);
  }

  /** Comedy calls this when the actor is destroyed; a worker that never ran still closes its operators. */
  async destroy(): Promise<void> {
    try {
      await this.closeOperators();
    } finally {
      if (this.serving) await this.store.stopServing();
      this.serving = false;
    }
  }

  /** Closes every operator, in chain order; throws the first failure as an OperatorError after trying them all. */
  private async closeOperators(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let failure: OperatorError | undefined;
    for (const { stage, operator, deadLetters } of this.chain) {
      try {
        await operator.close();
        await deadLetters?.close();
      } catch (error) {
        failure ??= new OperatorError(stage, '(close)', error);
      }
    }
    if (failure) throw failure;
  }
}

/** The first rows of an errors output's split, as JSON cut to RECORD_TEXT_LIMIT characters (bytes as their length). */
function recordSamples(payload: SplitPayload): string[] {
  return payload.toRows().slice(0, ERROR_SAMPLES).map((row) => {
    const text = JSON.stringify(row, (_key, value: unknown) => {
      if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
      return typeof value === 'bigint' ? String(value) : value;
    });
    return text.length > RECORD_TEXT_LIMIT ? `${text.slice(0, RECORD_TEXT_LIMIT)}...` : text;
  });
}

/** Where a stage's dead letters go: the runner sets the location whenever a stage writes them. */
function deadLetterLocation(spec: JobSpec, stage: string): NonNullable<JobSpec['deadLetter']> {
  if (!spec.deadLetter) throw new JobDefinitionError(`Stage '${stage}' writes dead letters (onError: 'dead-letter'), but the job has no dead letter location`);
  return spec.deadLetter;
}
