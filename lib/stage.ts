import { JobDefinitionError } from './errors/index.js';
import type { OperatorClass } from './operator.js';
import { parallelismBounds, type Parallelism, type ParallelismBounds } from './parallelism.js';
import { validateSupervision, type SupervisionPolicy } from './supervision.js';

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
}

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
    if (typeof operator !== 'function') {
      throw new JobDefinitionError(`Stage '${name}': operator must be an Operator class, got ${typeof operator}`);
    }
    if (options.maxBufferedSplits !== undefined && !(Number.isInteger(options.maxBufferedSplits) && options.maxBufferedSplits >= 1)) {
      throw new JobDefinitionError(`Stage '${name}': maxBufferedSplits must be a positive integer`);
    }
    validateSupervision(`Stage '${name}'`, options.supervision);
    this.name = name;
    this.operator = operator;
    this.config = config;
    this.parallelism = parallelism;
    this.bounds = parallelismBounds(name, parallelism);
    this.options = options;
  }
}
