/**
 * The control messages between actors. They carry split descriptions and
 * payload references, never bulk data: payloads travel through the data plane
 * (`dataplane/`). Every type here is plain JSON.
 */
import type { SerializedError } from '../lib/errors/index.js';
import type { SplitJSON } from '../lib/split.js';
import type { PayloadRef } from '../dataplane/payload-ref.js';
import type { PayloadTransfer, TransferredBytes } from '../dataplane/payload-transfer.js';
import type { JobSpec } from '../lib/job-spec.js';
import type { PlacementConfig, WorkerHost } from '../lib/placement-config.js';
import type { StageSnapshot, WorkerSnapshot } from '../state/checkpoint-manifest.js';

/** Parameters a StageMaster is created with. */
export interface StageMasterParams {
  spec: JobSpec;
  /** The stages it runs, fused into one chain (lib/chaining.ts), upstream first; the first names the master. */
  chain: string[];
  placement: PlacementConfig;
  /** Splits handed out from now on belong to this epoch (above every checkpoint id used before). */
  firstEpoch: number;
  /** Each stage's part of the checkpoint the job resumes from, by stage. */
  restore?: Record<string, StageSnapshot>;
  /** The host of each 'remote' worker, by worker index. */
  workerHosts?: WorkerHost[];
  /** When the chain's head stage lost workers earlier in this run, for its restart budget (see MetaServiceParams). */
  recentLosses?: number[];
}

/** Parameters a Worker is created with. */
export interface WorkerParams {
  spec: JobSpec;
  /** The stages whose operators it runs on each split, in turn (its master's chain). */
  chain: string[];
  workerIndex: number;
  parallelism: number;
  /** How many downstream stages read each output payload. */
  consumers: number;
  /** Partition count for keyed output: the largest parallelism among downstream stages. */
  outputPartitions: number;
  /** What this worker saved in the checkpoint the job resumes from, by stage. */
  restore?: Record<string, WorkerSnapshot>;
  /** Some workers of the job run in other processes or threads: serve this process's payloads to them. */
  servePayloads: boolean;
  /**
   * It replaces a lost worker of the same index while the job runs: it takes
   * over what that worker staged (a sink's files) as it is, commits and
   * aborts nothing, and restores only the state in `restore` (a stateful
   * chain's, from the last published checkpoint).
   */
  replacement?: boolean;
  /** Key-grouped state saved by other workers, to take by key group (actors/stage/restore-layout.ts), by stage. */
  regroupState?: Record<string, KeyGroupSpread>;
  /** Sink transactions of checkpointed workers whose index no longer exists, which this worker commits. */
  adoptedTransactions?: Record<string, unknown[]>;
  /** Their dead letters' transactions, likewise, by stage. */
  adoptedDeadLetters?: Record<string, unknown[]>;
}

/**
 * Key-grouped state spread over a stage's workers: every state key saved
 * (one per saved worker), and the workers that own key groups now, in
 * order: the worker `owners[partition % owners.length]` owns a partition.
 */
export interface KeyGroupSpread {
  stateKeys: string[];
  owners: number[];
}

/** A split handed to a worker (Worker -> StageMaster `nextSplit` reply). */
export interface WorkItem {
  /**
   * The worker that held it was killed after it ran past its stage's
   * splitTimeoutSecs (these seconds): the split is not run again, it fails
   * with SplitTimeoutError under the stage's onError.
   */
  timedOut?: number;
  split: SplitJSON;
  /** The input payload; absent for source splits. */
  input?: PayloadRef;
  /** Handed out again after the worker that held it was lost: it keeps its epoch and its range. */
  redo?: boolean;
  /** Where the input came from: one part of an upstream stage's output, which that stage can make again if it is lost. */
  from?: UpstreamPart;
  /**
   * A finished split run again because a consumer lost its output (the
   * process that held it died): its output goes to the consumers that ask
   * for it again, not to the stage's output buffer.
   */
  reproduce?: boolean;
  /**
   * A split the lost worker of a stateful chain had finished since the last
   * published checkpoint, run again on its replacement, which restored its
   * state from that checkpoint: done already as far as the stage's counts and
   * the source's progress go.
   */
  replay?: boolean;
}

/** One part of an upstream chain's output: the chain's master, the split it belongs to (of the chain's last stage), its partition if keyed. */
export interface UpstreamPart {
  master: string;
  stage: string;
  splitId: string;
  partition?: number;
}

export type NextSplitReply = { kind: 'split'; item: WorkItem } | { kind: 'end' };

/** One piece of a finished split's output; `partition` is set for keyed output. */
export interface OutputPart {
  payload: PayloadRef;
  partition?: number;
}

/** What one stage of a chain did with a split. */
/** The most records an errors output reports for the job's summary. */
export const ERROR_SAMPLES = 5;

export interface StageSplitCount {
  stage: string;
  rowsIn: number;
  rowsOut: number;
  /** An errors output's (StageOptions.errorOutput) first rows of the split, as JSON cut to 200 characters, for the job's summary. */
  samples?: string[];
  /** Bad records the stage skipped (StageOptions.onError `skip`). */
  skipped?: number;
  /** Bad records the stage wrote to the dead letters (`dead-letter`). */
  deadLettered?: number;
}

/** Worker -> StageMaster `splitDone`. */
export interface SplitResult {
  /** The split the worker was given (of the chain's first stage). */
  split: SplitJSON;
  /** The split of the chain's last stage that the output belongs to. */
  output: SplitJSON;
  parts: OutputPart[];
  /** Each stage of the chain that ran on the split, in chain order (a stage whose input was empty did not run). */
  stages: StageSplitCount[];
  /** How the split's input crossed from the process that held it; absent when the worker's own process held it, or it had none. */
  inputTransfer?: PayloadTransfer;
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

/** StageMaster -> GlobalStateMaster: the master's stages have completed epoch `checkpointId`. */
export interface StageAck {
  checkpointId: number;
  /** The master: its chain's first stage. */
  stage: string;
  /** Each stage's part, by stage. */
  snapshots?: Record<string, StageSnapshot>;
  /** Splits queued, in flight or buffered at the stage (they belong to later epochs). */
  inFlight: string[];
  /** Set when the stage could not save its part (the checkpoint fails, the job goes on). */
  error?: SerializedError;
  /** The stage has handed on all its output: this was its last epoch. */
  final: boolean;
  /** Bytes of the state files the master's workers wrote for it. */
  stateBytes?: number;
}

/** Worker -> StageMaster `snapshot` reply: what the worker saved for a checkpoint, by stage, and the bytes of the state files it wrote. */
export interface WorkerSnapshots {
  stages: Record<string, WorkerSnapshot>;
  stateBytes: number;
}

/** StageMaster -> MetaService: how a master's stages ended. */
export interface StageOutcome {
  metrics: StageMetrics[];
  error?: SerializedError;
}

export type StageState = 'created' | 'running' | 'finished' | 'failed' | 'aborted';

/** What a StageMaster reports about its stage. */
export interface StageMetrics {
  stage: string;
  /** An errors output's first records (StageOptions.errorOutput), as JSON cut to 200 characters. */
  errorSamples?: string[];
  /** Bad records skipped (StageOptions.onError `skip`). */
  recordsSkipped?: number;
  /** Bad records written to the dead letters (`dead-letter`). */
  deadLetters?: number;
  /** The stages fused with this one into a chain, in order, when there are others (docs/architecture.md#operator-fusion). */
  chain?: string[];
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
  /** When each of the stage's lost workers was replaced while the job ran (ms since the epoch), this run. */
  replacedAt?: number[];
  /** The chain's lost workers, newest last (up to LOST_WORKERS_KEPT): why each was lost and how the stage answered. On the chain's first stage. */
  lostWorkers?: LostWorkerRecord[];
  /** Where each of the chain's workers runs now. On the chain's first stage. */
  workerPlaces?: WorkerPlace[];
  /** Finished splits held for downstream stages now, and the most ever held. */
  buffered: number;
  maxBuffered: number;
  bufferCapacity: number;
  /**
   * How the chain's workers spent their time since the stage started, in
   * worker-milliseconds: alive, processing, idle held back by a full output,
   * idle waiting for input. On the chain's first stage.
   */
  workerTime?: { workersMs: number; busyMs: number; blockedMs: number; starvedMs: number };
  /**
   * An elastic stage: the worker count it aims at, why (its autoscaler's
   * last word), the share of its workers' time busy and the splits queued in
   * the last window its autoscaler weighed, and its decisions that changed
   * the count.
   */
  scaling?: { target: number; reason: string; busy?: number; queued?: number; decisions: ScalingRecord[] };
  /**
   * How long the chain's splits took, from being handed to a worker to its
   * result (splits that failed, or whose worker was lost, are not counted),
   * since the stage started in this attempt. On the chain's first stage.
   */
  splitLatency?: LatencyHistogram;
  /**
   * Bytes of the input payloads (Arrow IPC streams) the chain's workers
   * fetched from other processes, threads or hosts, by transport, since the
   * stage started in this attempt. Payloads of the worker's own process pass
   * by reference and count nothing. On the chain's first stage.
   */
  dataPlaneBytes?: TransferredBytes;
}

/** Upper bounds (ms) of the split latency histogram's buckets; a last bucket (+Inf) takes the rest. */
export const SPLIT_LATENCY_BUCKETS_MS: readonly number[] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000];

/**
 * A histogram of durations: `counts[i]` is how many took at most
 * `bucketsMs[i]` ms and more than the bound before it (not cumulative);
 * the one extra count at the end is those above the last bound.
 */
export interface LatencyHistogram {
  bucketsMs: readonly number[];
  counts: number[];
  count: number;
  sumMs: number;
}

/** One decision of an elastic stage's autoscaler that changed its worker count (docs/autoscaling.md). */
export interface ScalingRecord {
  /** When, in ms since the epoch. */
  at: number;
  from: number;
  to: number;
  reason: string;
  /** The shares of worker time the decision saw, and the splits queued. */
  busy: number;
  blocked: number;
  starved: number;
  queued: number;
}

/** How many lost workers a stage's metrics describe (the newest). */
export const LOST_WORKERS_KEPT = 20;

/** A worker of the stage that was lost: when, why, the split it held, and whether a replacement took its place or the stage failed. */
export interface LostWorkerRecord {
  /** ms since the epoch. */
  at: number;
  worker: number;
  /** Why it was lost: its exit (code, signal) or why it was killed (a missed heartbeat, a split past its timeout). */
  why: string;
  splitId?: string;
  /** `replaced`: a new worker took its place and the job went on; `failed`: the stage failed (the job restarts from a checkpoint if supervision allows). */
  answer: 'replaced' | 'failed';
}

/** Where a worker runs: its placement mode, and on a cluster the host agent (`host:port`). */
export interface WorkerPlace {
  worker: number;
  mode: string;
  host?: string;
}

export interface StageFailure {
  stage: string;
  error: SerializedError;
}
