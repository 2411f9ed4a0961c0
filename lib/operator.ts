import type { Logger } from './logger.js';
import type { DataRange, Split } from './split.js';
import type { SplitPayload } from './split-payload.js';

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
 * A stage without upstreams. `planSplits()` runs once, in the stage master,
 * and returns the data range of each split; `processSplit(split)` then reads
 * `split.range` in a worker.
 */
export abstract class SourceOperator<C = Record<string, unknown>> extends Operator<C> {
  abstract planSplits(): DataRange[] | Promise<DataRange[]>;
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

export type OperatorClass<C = any> = new (config: C, context: OperatorContext) => Operator<C>;

export function isSourceOperatorClass(cls: OperatorClass): boolean {
  return cls.prototype instanceof SourceOperator;
}
