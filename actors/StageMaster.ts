import type { ActorRef } from 'comedy';
import { JobStoppedError, serializeError, type SerializedError } from '../lib/errors.js';
import type { Job } from '../lib/job.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { SourceOperator } from '../lib/operator.js';
import { Split } from '../lib/split.js';
import type { Stage } from '../lib/stage.js';
import { processPayloadStore } from '../dataplane/in-process-payload-store.js';
import { actorModulePath } from './actor-paths.js';
import { OnePerWorkerPrefetch, OutputCapacityPolicy, UnboundedPolicy, type BackpressurePolicy, type PrefetchPolicy } from './backpressure-policy.js';
import { loadJob } from './job-loading.js';
import type {
  NextSplitReply, OutputEntry, PullReply, SplitResult, StageMasterParams, StageMetrics, StageOutcome, StageState, WorkItem, WorkerParams,
} from './messages.js';
import { OutputBuffer } from './output-buffer.js';
import type { PlacementConfig } from './placement.js';
import { WorkQueue } from './work-queue.js';

interface SelfActor {
  getCustomParameters(): StageMasterParams & { placement: PlacementConfig };
  createChild(definition: string, options: object): Promise<ActorRef>;
}

interface UpstreamLink {
  stage: string;
  ref: ActorRef;
  pulling: boolean;
  done: boolean;
}

/**
 * One per stage: plans source splits, queues input pulled from upstream
 * stages, hands splits to the workers that ask for them, holds finished
 * splits for downstream stages, and reports the stage's progress.
 */
export default class StageMaster {
  private params!: StageMasterParams;
  private job!: Job;
  private stage!: Stage;
  private log!: Logger;
  private workers: ActorRef[] = [];
  private queue!: WorkQueue;
  private output!: OutputBuffer;
  private backpressure!: BackpressurePolicy;
  private readonly prefetch: PrefetchPolicy = new OnePerWorkerPrefetch();
  private capacity = 0;
  private upstreams: UpstreamLink[] = [];
  private stateMaster!: ActorRef;
  private readonly waitingWorkers = new Map<number, (reply: NextSplitReply) => void>();
  private readonly inFlight = new Map<string, number>();
  private readonly endedWorkers = new Set<number>();
  private state: StageState = 'created';
  private failure: SerializedError | undefined;
  private splitsPlanned: number | undefined;
  private planned = false;
  private counts = { splitsIn: 0, splitsOut: 0, rowsIn: 0, rowsOut: 0 };
  private resolveFinished!: (outcome: StageOutcome) => void;
  private readonly finished = new Promise<StageOutcome>((resolve) => {
    this.resolveFinished = resolve;
  });

  async initialize(selfActor: SelfActor): Promise<void> {
    const params = selfActor.getCustomParameters();
    this.params = params;
    this.log = createLogger(params.spec.logLevel, { actor: 'StageMaster', job: params.spec.jobId, stage: params.stage });
    this.job = await loadJob(params.spec);
    this.stage = this.job.getStage(params.stage);
    const downstreams = this.job.downstreamsOf(params.stage);
    const workerCount = this.stage.bounds.min;
    this.capacity = this.job.maxBufferedSplitsOf(params.stage);
    this.backpressure = downstreams.length > 0 ? new OutputCapacityPolicy(this.capacity) : new UnboundedPolicy();
    this.output = new OutputBuffer(downstreams);
    this.queue = new WorkQueue(workerCount);
    const outputPartitions = Math.max(1, ...downstreams.map((name) => this.job.getStage(name).bounds.max));
    const mode = params.placement.workers;
    this.workers = await Promise.all(
      Array.from({ length: workerCount }, (_, workerIndex) => {
        const workerParams: WorkerParams = {
          spec: params.spec, stage: params.stage, workerIndex, parallelism: workerCount, consumers: downstreams.length, outputPartitions,
        };
        return selfActor.createChild(actorModulePath('Worker'), { mode, name: `Worker-${params.stage}-${workerIndex}`, customParameters: workerParams });
      }),
    );
  }

  /** Gives the master the refs of its upstream stage masters and of the job's state master. */
  connect(upstreams: Record<string, ActorRef>, stateMaster: ActorRef): void {
    this.upstreams = Object.entries(upstreams).map(([stage, ref]) => ({ stage, ref, pulling: false, done: false }));
    this.stateMaster = stateMaster;
  }

  /** Starts the stage; resolves when every worker has finished, with the stage's metrics and error if it failed. */
  async run(): Promise<StageOutcome> {
    // A stage aborted before it ran still starts its workers, which then end at once.
    if (this.state === 'created') this.state = 'running';
    try {
      await Promise.all(this.workers.map((worker) => worker.sendAndReceive('start')));
      if (this.isSource && !this.stopping) await this.planSource();
    } catch (error) {
      this.fail(serializeError(error));
    }
    this.pump();
    return this.finished;
  }

  private async planSource(): Promise<void> {
    const operator = new this.stage.operator(this.stage.config, {
      jobId: this.params.spec.jobId, stage: this.stage.name, workerIndex: 0, parallelism: this.workers.length, logger: this.log,
    });
    if (!(operator instanceof SourceOperator)) throw new Error(`Stage '${this.stage.name}' has no upstream but is not a source`);
    const ranges = await operator.planSplits();
    ranges.forEach((range, index) => this.queue.push({ split: Split.forSource(this.stage.name, index, range).toJSON() }));
    this.splitsPlanned = ranges.length;
    this.planned = true;
    this.log.info({ splits: ranges.length }, 'planned source splits');
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
    this.inFlight.delete(`${result.split.stage}/${result.split.lineage}`);
    this.counts.splitsIn++;
    this.counts.rowsIn += result.rowsIn;
    this.counts.rowsOut += result.rowsOut;
    if (result.parts.length > 0) {
      this.counts.splitsOut++;
      this.output.add({ split: result.split, parts: result.parts });
    }
    if (this.isSource) {
      this.stateMaster.send('sourceSplitDone', `${result.split.stage}/${result.split.lineage}`, result.rowsOut)
        .catch((error: unknown) => this.log.error({ err: error }, 'state master did not take source progress'));
    }
    this.pump();
  }

  /** Worker -> master: the operator threw; the stage, and so the job, fails. */
  splitFailed(workerIndex: number, error: SerializedError): void {
    // The error reaches the caller through run(); the log keeps the stage's view of it.
    this.log.info({ worker: workerIndex, error }, 'split failed');
    this.fail(error);
  }

  /** Worker -> master: the worker closed its operator and stops. */
  workerEnded(workerIndex: number, closeError?: SerializedError): void {
    if (closeError) this.fail(closeError);
    this.endedWorkers.add(workerIndex);
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

  private fail(error: SerializedError): void {
    if (this.state === 'failed' || this.state === 'aborted') return;
    this.state = 'failed';
    this.failure = error;
  }

  private get stopping(): boolean {
    return this.state === 'failed' || this.state === 'aborted';
  }

  private get isSource(): boolean {
    return this.upstreams.length === 0;
  }

  private get inputExhausted(): boolean {
    const noMoreInput = this.isSource ? this.planned : this.upstreams.every((link) => link.done);
    return noMoreInput && this.queue.size === 0;
  }

  /** The master's loop: every event calls it, and it asks the policies what to do next. */
  private pump(): void {
    if (this.state === 'created') return;
    if (this.stopping) this.releaseAll();
    else {
      this.pullInput();
      this.dispatch();
    }
    this.checkFinished();
  }

  private dispatch(): void {
    for (const [workerIndex, reply] of this.waitingWorkers) {
      if (this.inputExhausted) {
        this.waitingWorkers.delete(workerIndex);
        reply({ kind: 'end' });
        continue;
      }
      if (!this.backpressure.canDispatch({ inFlight: this.inFlight.size, buffered: this.output.buffered })) return;
      const item = this.queue.takeFor(workerIndex);
      if (!item) continue;
      this.waitingWorkers.delete(workerIndex);
      this.inFlight.set(`${item.split.stage}/${item.split.lineage}`, workerIndex);
      reply({ kind: 'split', item });
    }
  }

  private pullInput(): void {
    for (const link of this.upstreams) {
      if (link.done || link.pulling || !this.prefetch.shouldPull(this.queue.size, this.workers.length)) continue;
      link.pulling = true;
      link.ref.sendAndReceive('pull', this.stage.name, this.workers.length).then(
        (reply: PullReply) => {
          link.pulling = false;
          link.done = reply.done;
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
      if (this.stopping) processPayloadStore().discard(part.payload);
      else this.queue.push(item);
    }
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
      this.resolveFinished({ metrics: this.metrics(), error });
      return;
    }
    if (this.state !== 'running') return;
    this.state = 'finished';
    this.output.close();
    this.resolveFinished({ metrics: this.metrics() });
  }
}
