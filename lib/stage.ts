import { JobDefinitionError } from './errors/index.js';
import { Operator, isStatefulOperatorClass, type OperatorClass } from './operator.js';
import { parallelismBounds, type Parallelism, type ParallelismBounds } from './parallelism.js';
import type { SupervisionPolicy } from './supervision.js';
import { checkOptions } from './option-check.js';
import { stageOptionsSchema } from './options-schemas.js';

export interface StageOptions {
  /**
   * How many splits this stage may have in flight or finished and not yet
   * pulled by its downstream stages before its workers stop getting new work
   * (backpressure). Default: the job's `maxBufferedSplits`.
   */
  maxBufferedSplits?: number;
  /** What happens when one of this stage's workers is lost; overrides the job's policy. See docs/supervision.md. */
  supervision?: SupervisionPolicy;
  /** false keeps this stage out of operator chains: it runs with workers and a master of its own. Default true. */
  chain?: boolean;
  /**
   * The stage writes records that failed upstream (an errors output): when
   * it takes any, the job still succeeds, and its summary warns how many
   * went there. Default false.
   */
  errorOutput?: boolean;
  /**
   * What a bad record does (a line that cannot be read, a row a row function
   * throws on, a record an operator reports with `context.badRecord`), and a
   * split whose operator still throws after its retries: `fail` the job (the
   * default), `skip` it (counted in the summary), or write it to the job's
   * dead letters (`dead-letter`, Job option `deadLetter`). See docs/errors.md.
   */
  onError?: ErrorPolicy;
  /**
   * How many times a split whose operator throws runs again before `onError`
   * applies, after pauses of 100 ms, 200 ms, 400 ms... (at most 5 s): for
   * transient errors, such as a flaky service. Default 0. Not for a stage
   * whose operator keeps state, which a half-run split may have changed.
   */
  maxRetries?: number;
  /**
   * Longest the operator may run on one split (seconds): past it the split
   * fails with SplitTimeoutError, retried and then handled by `onError` as
   * any failed split. An operator that awaits forever is left behind; one
   * whose worker does not answer (an endless loop) has its worker killed and
   * replaced, in a thread or process of its own: in-process workers share
   * the job's thread, which an endless loop holds. Default none.
   */
  splitTimeoutSecs?: number;
}

/** What a stage does with a bad record: see {@link StageOptions.onError}. */
export type ErrorPolicy = 'fail' | 'skip' | 'dead-letter';

const STAGE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** A node of the job's DAG: an operator class, its config and how many workers run it. */
export class Stage<C = any> {
  readonly name: string;
  readonly operator: OperatorClass<C>;
  readonly config: C;
  readonly parallelism: Parallelism;
  readonly bounds: ParallelismBounds;
  readonly options: StageOptions;

  constructor(name: string, operator: OperatorClass<C>, config: C, parallelism: Parallelism = 1, options: StageOptions = {}) {
    if (!STAGE_NAME.test(name)) {
      throw new JobDefinitionError(`Stage name '${name}' must be letters, digits, '_', '.' or '-' (it names output files)`);
    }
    if (typeof operator !== 'function' || !(operator.prototype instanceof Operator)) {
      throw new JobDefinitionError(
        `Stage '${name}': the operator must be a class extending Operator (or SourceOperator, SinkOperator), got ${typeof operator === 'function' ? `'${operator.name || 'an anonymous function'}'` : typeof operator}`,
      );
    }
    checkOptions(stageOptionsSchema, options, `Stage '${name}'`, (message) => new JobDefinitionError(message));
    if ((options.maxRetries ?? 0) > 0 && isStatefulOperatorClass(operator)) {
      throw new JobDefinitionError(`Stage '${name}': maxRetries is not for a stage whose operator keeps state: a split run again after it changed the state would count twice`);
    }
    this.name = name;
    this.operator = operator;
    this.config = config;
    this.parallelism = parallelism;
    this.bounds = parallelismBounds(name, parallelism);
    this.options = options;
  }
}
