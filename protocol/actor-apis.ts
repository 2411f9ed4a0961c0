/**
 * Every actor's message handlers, by topic: what each actor answers, to whom.
 * The actors implement these interfaces, and their links are typed by them
 * (protocol/actor-link.ts), so a renamed handler or a changed argument fails
 * to compile instead of failing at run time.
 */
import type { PayloadRef } from '../dataplane/payload-ref.js';
import type { WorkerHost } from '../lib/placement-config.js';
import type { SerializedError } from '../lib/errors/index.js';
import type { StageSnapshot } from '../state/checkpoint-manifest.js';
import type { ActorLink, ChildActor, ChildOptions } from './actor-link.js';
import type { GlobalStateMasterParams, JobOutcome, JobStatus, MetaServiceParams, SourceProgress, CheckpointHistoryReport } from './job-status.js';
import type {
  NextSplitReply, PullReply, SplitResult, StageAck, StageMasterParams, StageMetrics, StageOutcome, WorkerParams, KeyGroupSpread, WorkerSnapshots,
} from './messages.js';

/** Every actor answers a heartbeat whenever its event loop is free. */
export interface Pingable {
  ping(): boolean;
}

/** A worker, as its StageMaster drives it. */
export interface WorkerApi extends Pingable {
  /** Starts the worker's pull loop (it asks its master for splits); returns at once. */
  start(): void;
  /** Saves what checkpoint `epoch` needs from each of the worker's operators, by stage: state, pre-committed sink transaction. */
  snapshot(epoch: number): Promise<WorkerSnapshots>;
  /** Makes pre-committed sink transactions, and dead letters, visible, by stage. */
  commit(transactions: Record<string, unknown>, deadLetters?: Record<string, unknown>): Promise<void>;
  /** Makes the pre-committed transactions of every worker of a sink that commits together visible in one commit. */
  commitTogether(stage: string, handles: unknown[], final: boolean): Promise<void>;
  /** The input has ended: the operators emit what they held back, each through the rest of the chain. */
  finish(epoch: number): Promise<SplitResult[]>;
  /** The stage's workers changed at a checkpoint: the worker's state becomes the key groups it owns now, by stage (docs/autoscaling.md). */
  regroup(spread: Record<string, KeyGroupSpread>): Promise<void>;
}

/** How many more busy workers an elastic stage may run, why, and, for workers on hosts, the host of each. */
export interface WorkerGrant {
  granted: number;
  why: string;
  hosts?: WorkerHost[];
}

/** How a stage master reaches its upstream stages and the state master. */
export interface StageWiring {
  upstreams: readonly string[];
}

/** A StageMaster, as its workers, the other masters and the MetaService reach it. */
export interface StageMasterApi extends Pingable {
  /** Names the upstream stages; the links follow when this master shares the MetaService's process. */
  connect(wiring: StageWiring, stateMaster?: ActorLink<GlobalStateMasterApi>, ...upstreams: ActorLink<StageMasterApi>[]): void;
  /** Runs the stage; resolves when every worker has ended. */
  run(): Promise<StageOutcome>;
  /** Checkpoint `checkpointId` is taken: later source splits belong to the next epoch. */
  closeEpoch(checkpointId: number): void;
  /** Checkpoint `checkpointId` is published: sinks commit its writes. `snapshots` are the master's stages' parts, by stage. */
  commitCheckpoint(checkpointId: number, snapshots: Record<string, StageSnapshot>, final: boolean): Promise<void>;
  /** Worker -> master: the worker's next split, or the end. */
  nextSplit(workerIndex: number): Promise<NextSplitReply>;
  splitDone(result: SplitResult): void;
  splitFailed(workerIndex: number, error: SerializedError): void;
  /** Worker -> master: the input of split `splitId` could not be read (the process that held it is gone); the worker goes on. */
  inputLost(workerIndex: number, splitId: string, error: SerializedError): void;
  workerEnded(workerIndex: number, closeError?: SerializedError): void;
  /** Downstream master -> master: up to `max` finished splits for stage `consumer`. */
  pull(consumer: string, max: number): Promise<PullReply>;
  /**
   * Downstream master -> master: the output part `partition` of split
   * `splitId`, pulled by `consumer` earlier, was lost with the process that
   * held it; resolves with the part made again by running the split again.
   */
  reproduce(consumer: string, splitId: string, partition?: number): Promise<PayloadRef>;
  /** A draining stop: a source stage hands out no split for the first time from now on; the others go on. */
  holdInput(): void;
  abort(reason: SerializedError): void;
  /** One entry per stage of the master's chain. */
  metrics(): StageMetrics[];
}

/** How the state master reaches the stage masters. */
export interface StateMasterWiring {
  stages: readonly string[];
}

/** The GlobalStateMaster, as the MetaService and the stage masters reach it. */
export interface GlobalStateMasterApi extends Pingable {
  /** Names the stages; links to their masters follow when this master shares the MetaService's process. */
  connect(wiring: StateMasterWiring, ...masters: ActorLink<StageMasterApi>[]): void;
  start(): void;
  /** Takes a checkpoint now; resolves with its id once it is complete. */
  trigger(): Promise<number>;
  sourceSplitDone(splitId: string, records: number): void;
  sourceExhausted(stage: string): void;
  stageAck(ack: StageAck): void;
  progress(): SourceProgress;
  /** The checkpoints of this attempt: the newest ones and the totals. */
  checkpoints(): CheckpointHistoryReport;
  stop(): Promise<void>;
}

/** The MetaService, as the runner and the masters reach it. */
export interface MetaServiceApi extends Pingable {
  /** A master outside the MetaService's process sends a message to another master (named by its stage, or the state master's target name). */
  relay(target: string, topic: string, ...message: unknown[]): Promise<void>;
  relayAndReceive(target: string, topic: string, ...message: unknown[]): Promise<unknown>;
  attempt(): { resumedFrom?: number; firstCheckpointId: number };
  triggerCheckpoint(): Promise<number>;
  /** A draining stop, before its checkpoint: the sources read nothing new, so the checkpoint holds all that was read. */
  holdSources(): Promise<void>;
  /**
   * Elastic stage master -> MetaService: may stage `head` run `wanted` more
   * busy workers within the job's `maxWorkers`? Resolves with how many, and why.
   */
  grantWorkers(head: string, wanted: number): Promise<WorkerGrant>;
  /** Elastic stage master -> MetaService: a drained worker of stage `head` on a host ended; its slot is free. */
  releaseWorker(head: string, host: WorkerHost): void;
  /** State master -> MetaService: the final checkpoint failed, so the job cannot complete. */
  checkpointFailed(error: SerializedError): void;
  runJob(): Promise<JobOutcome>;
  stop(): Promise<void>;
  status(): Promise<JobStatus>;
  metrics(): Promise<StageMetrics[]>;
}

/** The framework's actors: the API each answers, and the parameters it is created with. */
export interface Actors {
  MetaService: { api: MetaServiceApi; params: MetaServiceParams };
  GlobalStateMaster: { api: GlobalStateMasterApi; params: GlobalStateMasterParams };
  StageMaster: { api: StageMasterApi; params: StageMasterParams };
  Worker: { api: WorkerApi; params: WorkerParams };
}

/** The actors of the framework, by the name of their module in `actors/`. */
export type ActorName = keyof Actors;

/** What an actor is given when it starts: its parameters, a link to its parent, and how to create children. */
export interface ActorContext<Params, ParentApi> {
  readonly params: Params;
  readonly parent: ActorLink<ParentApi>;
  createChild<A extends ActorName>(actor: A, options: ChildOptions<Actors[A]['params']>): Promise<ChildActor<Actors[A]['api']>>;
}
