import type { JobRun } from './job-spec.js';
import type { Logger } from './logger.js';
import type { DataRange, Split } from './split.js';
import type { SplitPayload } from './split-payload.js';

/** A record an operator cannot process (see {@link OperatorContext.badRecord}). */
export interface BadRecord {
  /** Why: an InputFormatError, a RowFunctionError, or the operator's own. */
  error: Error;
  /** The record: the text of a line as read, or the row. */
  record?: unknown;
  /** Where it came from, when known: the file, its line (1-based). */
  file?: string;
  line?: number;
  /** Its row within the split (1-based). */
  row?: number;
}

/** A `badRecord` that fails with the record's error: for an operator built where no record is read (planning, a config check). */
export function refuseBadRecord(bad: BadRecord): never {
  throw bad.error;
}

/** What an operator instance knows about where it runs. */
export interface OperatorContext {
  readonly jobId: string;
  /** The stage this instance belongs to. */
  readonly stage: string;
  /** 0-based index of this worker within its stage. */
  readonly workerIndex: number;
  /** How many workers the stage runs now. */
  readonly parallelism: number;
  readonly logger: Logger;
  /** The run of the job this worker belongs to (absent where an operator is built outside a running job, as to check its config). */
  readonly run?: JobRun;
  /**
   * Reports a record the operator cannot process, and goes on without it:
   * under the stage's `onError` `'fail'` (the default) this throws
   * `bad.error`, so the split fails as if the operator had thrown it; under
   * `'skip'` the record is counted and dropped; under `'dead-letter'` it is
   * written to the job's dead letters too. Built-in sources and row
   * operators report bad lines and rows this way.
   */
  badRecord(bad: BadRecord): void;
}

export type ProcessResult = SplitPayload | null | Promise<SplitPayload | null>;

/**
 * One instance runs in each worker of a stage. It is built in the worker's own
 * process from the workflow module, so closures in its config work everywhere.
 */
export abstract class Operator<C = Record<string, unknown>> {
  readonly config: C;
  readonly context: OperatorContext;

  constructor(config: C, context: OperatorContext) {
    this.config = config;
    this.context = context;
  }

  /** Called once before the first split. */
  open(): void | Promise<void> {}

  /**
   * Processes one split. Return the output payload, or null when the split
   * produces nothing (a sink, or a filter that kept no rows).
   */
  abstract processSplit(split: Split, payload?: SplitPayload): ProcessResult;

  /** Called once after the last split, also when the job fails. */
  close(): void | Promise<void> {}
}

/**
 * An operator with state that must survive a restart (counts, sums, a
 * dedup set). The runtime checkpoints what `snapshotState()` returns (plain
 * JSON) and gives it back to `restoreState()` in a restarted worker. A
 * stateful stage is aligned: a worker's state is snapshotted for checkpoint n
 * after it processed every split of epochs up to n and none after.
 */
export interface StatefulOperator {
  snapshotState(): unknown | Promise<unknown>;
  restoreState(state: unknown): void | Promise<void>;
}

/**
 * The state of an operator whose class declares `static readonly
 * keyGroupedState = true`: its state by key group, the partition of the
 * keyed input a split carries (`split.partition`, Flink's key groups). Such
 * state can be restored onto another number of workers than saved it: each
 * worker gets the groups of the partitions it owns now, from whichever
 * workers saved them, and `restoreState` gets those groups alone.
 */
export interface KeyGroupedState {
  keyGroups: Record<string, unknown>;
}

/** Whether a stateful operator class keeps its state by key group ({@link KeyGroupedState}). */
export function hasKeyGroupedState(cls: OperatorClass): boolean {
  return (cls as { keyGroupedState?: unknown }).keyGroupedState === true;
}

/** An operator that emits output once its input has ended (an aggregation's results). */
export interface FinishingOperator {
  finish(split: Split): ProcessResult;
}

/**
 * A sink that takes part in checkpoints as a two-phase commit, in four steps:
 * `beginTransaction(epoch)` before the first write of an epoch; `preCommit(epoch)`
 * when checkpoint `epoch` is taken (everything written in epochs up to it is
 * durable but not yet visible) returning a handle; `commit(handle)` once the
 * checkpoint is complete (makes it visible; must be idempotent, since it runs
 * again after a crash); `abort()` drops every write that no commit covers.
 */
export interface TransactionalSink<H = unknown> {
  beginTransaction(epoch: number): void | Promise<void>;
  preCommit(epoch: number): H | Promise<H>;
  commit(handle: H): void | Promise<void>;
  abort(): void | Promise<void>;
}

/**
 * A transactional sink whose workers' writes become visible together, as one
 * commit per checkpoint (Flink's global committer): the stage's transactions
 * of a checkpoint, one pre-committed by each worker, all go to a single
 * worker's `commitTogether` instead of each worker's `commit`. At a restore,
 * worker 0 alone commits the checkpoint's transactions and then aborts, before
 * any worker takes a split; `abort()` then drops what every worker of the
 * stage staged that no commit covers. `commitTogether` must be idempotent
 * too: it runs again after a crash.
 */
export interface CommittingTogetherSink<H = unknown> extends TransactionalSink<H> {
  /**
   * @param handles what each worker pre-committed for the checkpoint (at a restore, every saved worker's).
   * @param commit `final`: the job's last checkpoint; `restore`: committed again by a restored job.
   */
  commitTogether(handles: H[], commit: { final: boolean; restore: boolean }): void | Promise<void>;
}

export function commitsTogether(operator: object): operator is CommittingTogetherSink {
  return isTransactionalSink(operator) && typeof (operator as Partial<CommittingTogetherSink>).commitTogether === 'function';
}

/** Whether a sink class commits its workers' writes together ({@link CommittingTogetherSink}). */
export function commitsTogetherClass(cls: OperatorClass): boolean {
  return commitsTogether(cls.prototype as object);
}

export function isStateful(operator: object): operator is StatefulOperator {
  const candidate = operator as Partial<StatefulOperator>;
  return typeof candidate.snapshotState === 'function' && typeof candidate.restoreState === 'function';
}

export function isFinishing(operator: object): operator is FinishingOperator {
  return typeof (operator as Partial<FinishingOperator>).finish === 'function';
}

export function isTransactionalSink(operator: object): operator is TransactionalSink {
  const candidate = operator as Partial<TransactionalSink>;
  return ['beginTransaction', 'preCommit', 'commit', 'abort'].every((step) => typeof candidate[step as keyof TransactionalSink] === 'function');
}

/**
 * A stage without upstreams. `planSplits()` runs once, in the stage master,
 * and returns the data range of each split; `processSplit(split)` then reads
 * `split.range` in a worker.
 */
export abstract class SourceOperator<C = Record<string, unknown>> extends Operator<C> {
  /** The source's input as ranges, each read by one split; a range's `rows` (about how many rows it holds) lets the stage cut it. */
  abstract planSplits(): DataRange[] | Promise<DataRange[]>;

  /**
   * A planned range cut in two at about `fraction` (0 < fraction < 1) of its
   * rows: the two parts, read one after the other, give exactly what the
   * whole range gives. The stage cuts a range whose reading would take well
   * over the checkpoint interval, so that checkpoints need not wait for it
   * (docs/checkpointing.md). Undefined (the default) when it cannot be cut.
   */
  cutRange(_range: DataRange, _fraction: number): [DataRange, DataRange] | undefined {
    return undefined;
  }
}

/** A stage that writes its input somewhere and returns null. */
export abstract class SinkOperator<C = Record<string, unknown>> extends Operator<C> {}

/**
 * An operator whose output the runtime partitions by the value of one column,
 * so that all rows with one key go to the same downstream worker.
 */
export interface KeyedOutput {
  readonly keyField: string;
}

export function hasKeyedOutput(operator: Operator<unknown>): operator is Operator<unknown> & KeyedOutput {
  return typeof (operator as Partial<KeyedOutput>).keyField === 'string';
}

/**
 * An operator class with keyed output declares it with a static
 * `keyedOutput = true`, so that the job's plan knows before any operator
 * exists that its output is shuffled: such a stage ends an operator chain.
 */
export function hasKeyedOutputClass(cls: OperatorClass): boolean {
  return (cls as { keyedOutput?: unknown }).keyedOutput === true;
}

/**
 * An operator class. `C` is read from the instance type, not from the
 * constructor's parameter, so a generic operator used bare (`MapOperator`)
 * gets its default row types and one used with type arguments
 * (`MapOperator<Order, Priced>`) gets those; the stage's config is then
 * checked against that.
 */
export type OperatorClass<C = any> = new (config: any, context: OperatorContext) => Operator<C>;

export function isSourceOperatorClass(cls: OperatorClass): boolean {
  return cls.prototype instanceof SourceOperator;
}

/** Stages without downstreams must run a sink (`Job.validate`). */
export function isSinkOperatorClass(cls: OperatorClass): boolean {
  return cls.prototype instanceof SinkOperator;
}

/** Stages whose operator keeps state are aligned at checkpoints (see {@link StatefulOperator}). */
export function isStatefulOperatorClass(cls: OperatorClass): boolean {
  return isStateful(cls.prototype as object);
}
