/**
 * The control messages between actors. They carry split descriptions and
 * payload references, never bulk data: payloads travel through the data plane
 * (`dataplane/`). Every type here is plain JSON.
 */
import type { SerializedError } from '../lib/errors/index.js';
import type { SplitJSON } from '../lib/split.js';
import type { PayloadRef } from '../dataplane/payload-ref.js';
import type { JobSpec } from '../lib/job-spec.js';
import type { PlacementConfig, WorkerHost } from '../lib/placement-config.js';
import type { StageSnapshot, WorkerSnapshot } from '../state/checkpoint-manifest.js';

/** Parameters a StageMaster is created with. */
export interface StageMasterParams {
  spec: JobSpec;
  stage: string;
  placement: PlacementConfig;
  /** Splits handed out from now on belong to this epoch (above every checkpoint id used before). */
  firstEpoch: number;
  /** The stage's part of the checkpoint the job resumes from. */
  restore?: StageSnapshot;
  /** The host of each 'remote' worker, by worker index. */
  workerHosts?: WorkerHost[];
}

/** Parameters a Worker is created with. */
export interface WorkerParams {
  spec: JobSpec;
  stage: string;
  workerIndex: number;
  parallelism: number;
  /** How many downstream stages read each output payload. */
  consumers: number;
  /** Partition count for keyed output: the largest parallelism among downstream stages. */
  outputPartitions: number;
  /** What this worker saved in the checkpoint the job resumes from. */
  restore?: WorkerSnapshot;
  /** Some workers of the job run in other processes or threads: serve this process's payloads to them. */
  servePayloads: boolean;
}

/** A split handed to a worker (Worker -> StageMaster `nextSplit` reply). */
export interface WorkItem {
  split: SplitJSON;
  /** The input payload; absent for source splits. */
  input?: PayloadRef;
}

export type NextSplitReply = { kind: 'split'; item: WorkItem } | { kind: 'end' };

/** One piece of a finished split's output; `partition` is set for keyed output. */
export interface OutputPart {
  payload: PayloadRef;
  partition?: number;
}

/** Worker -> StageMaster `splitDone`. */
export interface SplitResult {
  split: SplitJSON;
  rowsIn: number;
  rowsOut: number;
  parts: OutputPart[];
}

/** A finished split waiting in a stage's output buffer. */
export interface OutputEntry {
  split: SplitJSON;
  parts: OutputPart[];
}

/** StageMaster -> downstream StageMaster `pull` reply. */
export interface PullReply {
  entries: OutputEntry[];
  /** No more entries will come for this consumer. */
  done: boolean;
  /** The upstream stage stopped early (failure or stop): the consumer stops too. */
  upstreamStopped: boolean;
  /** The consumer has now received every entry of epochs up to this one (the checkpoint barrier). */
  closedEpoch: number;
}

/** StageMaster -> GlobalStateMaster: the stage has completed epoch `checkpointId`. */
export interface StageAck {
  checkpointId: number;
  stage: string;
  snapshot?: StageSnapshot;
  /** Splits queued, in flight or buffered at the stage (they belong to later epochs). */
  inFlight: string[];
  /** Set when the stage could not save its part (the checkpoint fails, the job goes on). */
  error?: SerializedError;
  /** The stage has handed on all its output: this was its last epoch. */
  final: boolean;
}

/** StageMaster -> MetaService: how a stage ended. */
export interface StageOutcome {
  metrics: StageMetrics;
  error?: SerializedError;
}

export type StageState = 'created' | 'running' | 'finished' | 'failed' | 'aborted';

/** What a StageMaster reports about its stage. */
export interface StageMetrics {
  stage: string;
  state: StageState;
  workers: number;
  /** Splits planned, for sources; undefined while not known. */
  splitsPlanned?: number;
  splitsIn: number;
  splitsOut: number;
  rowsIn: number;
  rowsOut: number;
  inFlight: number;
  queued: number;
  /** Finished splits held for downstream stages now, and the most ever held. */
  buffered: number;
  maxBuffered: number;
  bufferCapacity: number;
}

export interface StageFailure {
  stage: string;
  error: SerializedError;
}
