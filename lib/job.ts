import { JobDefinitionError, StageNotFoundError } from './errors/index.js';
import { isSourceOperatorClass, isSinkOperatorClass } from './operator.js';
import type { Stage } from './stage.js';
import { resolveSupervision, type ResolvedSupervision, type SupervisionPolicy } from './supervision.js';
import { checkOptions } from './option-check.js';
import { jobOptionsSchema } from './options-schemas.js';

export interface JobOptions {
  /** Names the job's state and logs; also passed to `createJob` in every process. */
  readonly jobId: string;
  /**
   * Take a checkpoint this often (seconds). Default {@link DEFAULT_CHECKPOINT_INTERVAL_SECS};
   * 0 takes none but the final one (and those asked for).
   */
  readonly checkpointIntervalSecs?: number;
  /** Take a checkpoint after this many source records. Default none (0). */
  readonly checkpointIntervalRecords?: number;
  /**
   * Bound on the splits a stage has in flight or finished and not yet pulled by
   * all its downstream stages; a stage at the bound gets no new work
   * (backpressure). Default per stage: its worker count + 1, at least 2.
   */
  readonly maxBufferedSplits?: number;
  /**
   * Where checkpoints live: a path, `file://`, `s3://` or `webhdfs://` URL;
   * the job's checkpoints go to `<stateBackend>/<jobId>/checkpoints/`. Default
   * `.solstice` under the working directory. The runner's `stateBackend`
   * option overrides it.
   */
  readonly stateBackend?: string;
  /** How many completed checkpoints to keep. Default 3. */
  readonly retainCheckpoints?: number;
  /**
   * How many runs of the job keep their run records (every attempt of each;
   * docs/observability.md#job-history): the newest, and always the one in
   * progress. Default {@link DEFAULT_RETAINED_RUNS}.
   */
  readonly retainRuns?: number;
  /**
   * How long the final checkpoint is retried (seconds), with pauses growing
   * from 250 ms to 5 s, before the job fails with `CheckpointError`. Default 60.
   */
  readonly finalCheckpointRetrySecs?: number;
  /** What happens when a worker is lost, for every stage that sets no policy of its own. See docs/supervision.md. */
  readonly supervision?: SupervisionPolicy;
  /**
   * Fuse consecutive one-to-one stages into chains that run inside each
   * worker, payloads passed by reference (docs/architecture.md#operator-fusion).
   * Default true; a stage's own `chain: false` keeps it out of any chain.
   */
  readonly chain?: boolean;
  /**
   * How many workers of the job may be busy at once, counted over all its
   * stages, before an elastic stage (`parallelism: [min, max]`) may grow:
   * a worker waiting for input costs no core. Stages never go below their
   * minimum for it. Default: the cores of this machine, or the worker slots
   * of the cluster's hosts (docs/autoscaling.md).
   */
  readonly maxWorkers?: number;
  /**
   * Where the dead letters of stages with `onError: 'dead-letter'` go: a
   * folder, which gets a folder per stage of JSON lines files (or `format`),
   * or a Lance table (a `uri` or `path` ending in `.lance`, local or on an
   * object store), one row per dead letter. Dead letters are committed with
   * the checkpoints, exactly once. Default `dead-letters/<jobId>` under the
   * working directory; the runner's `deadLetter` option overrides it. See
   * docs/errors.md.
   */
  readonly deadLetter?: DeadLetterOptions;
}

/** Where dead letters go, and as what: `path` or `uri`, one of them. */
export interface DeadLetterOptions {
  /** A folder, or a Lance table's folder (ending in `.lance`). */
  path?: string;
  /** A Lance table on an object store (`s3://bucket/dead-letters.lance`), or a path. */
  uri?: string;
  /** Default `lance` for a location ending in `.lance`, else `jsonl`. */
  format?: DeadLetterFormat;
  /** A Lance table's storage options, as LanceSink takes them. */
  storageOptions?: Record<string, string>;
}

/** How dead letters are written: files of a format FileSink writes, or rows of a Lance table. */
export type DeadLetterFormat = 'jsonl' | 'csv' | 'parquet' | 'lance';

export const DEFAULT_RETAINED_CHECKPOINTS = 3;
export const DEFAULT_RETAINED_RUNS = 20;

/**
 * Seconds between checkpoints when a job sets none. A checkpoint of a
 * stateless job costs nothing measurable even every second (`bench/checkpoint`,
 * docs/benchmarks.md); 5 s bounds the work a killed job redoes to a few
 * seconds plus what was in flight, while a stateful job writes its state
 * at most every 5 s.
 */
export const DEFAULT_CHECKPOINT_INTERVAL_SECS = 5;
export const DEFAULT_FINAL_CHECKPOINT_RETRY_SECS = 60;

/**
 * A DAG of stages. Sources have no upstream; every other stage names at least
 * one. What the actors and loaders work with; users build a `Job`, which is
 * this graph plus `createRunner()` (runtime/job.ts), so that this layer needs
 * nothing of the runtime.
 */
export class JobGraph {
  readonly options: JobOptions;
  private readonly stages = new Map<string, Stage>();
  private readonly upstreams = new Map<string, readonly string[]>();

  constructor(options: JobOptions) {
    checkOptions(jobOptionsSchema, options, `Job${typeof options?.jobId === 'string' ? ` '${options.jobId}'` : ''}`, (message) => new JobDefinitionError(message));
    this.options = options;
  }

  get jobId(): string {
    return this.options.jobId;
  }

  /**
   * Adds a stage fed by `upstreams` (stages added before it). Stages are added
   * in an order where every upstream comes first, so the DAG cannot have a cycle.
   */
  addStage(stage: Stage, upstreams: readonly string[] = []): this {
    if (this.stages.has(stage.name)) {
      throw new JobDefinitionError(`Duplicate stage name '${stage.name}'`);
    }
    if (upstreams.includes(stage.name)) {
      throw new JobDefinitionError(`Stage '${stage.name}' lists itself as an upstream: that would make a cycle`);
    }
    for (const upstream of upstreams) {
      if (!this.stages.has(upstream)) {
        throw new JobDefinitionError(
          `Stage '${stage.name}' names unknown upstream '${upstream}'; add '${upstream}' first (known: ${[...this.stages.keys()].join(', ') || 'none'})`,
        );
      }
    }
    if (new Set(upstreams).size !== upstreams.length) {
      throw new JobDefinitionError(`Stage '${stage.name}' lists an upstream twice`);
    }
    const isSource = isSourceOperatorClass(stage.operator);
    if (isSource && upstreams.length > 0) {
      throw new JobDefinitionError(`Stage '${stage.name}' runs a source operator and cannot have upstreams`);
    }
    if (!isSource && upstreams.length === 0) {
      throw new JobDefinitionError(`Stage '${stage.name}' is not a source, so it needs at least one upstream`);
    }
    this.stages.set(stage.name, stage);
    this.upstreams.set(stage.name, [...upstreams]);
    return this;
  }

  /** Stage names, every stage after all of its upstreams. */
  get stageNames(): string[] {
    return [...this.stages.keys()];
  }

  getStage(name: string): Stage {
    const stage = this.stages.get(name);
    if (!stage) throw new StageNotFoundError(name, this.stageNames);
    return stage;
  }

  upstreamsOf(name: string): readonly string[] {
    this.getStage(name);
    return this.upstreams.get(name)!;
  }

  downstreamsOf(name: string): string[] {
    this.getStage(name);
    return this.stageNames.filter((other) => this.upstreams.get(other)!.includes(name));
  }

  /**
   * The stage's backpressure bound (see {@link JobOptions.maxBufferedSplits}):
   * its own, else the job's, else `workers` + 1, at least 2. `workers` is the
   * stage's starting worker count unless it runs in a chain with another.
   */
  maxBufferedSplitsOf(name: string, workers = this.getStage(name).bounds.min): number {
    const stage = this.getStage(name);
    return stage.options.maxBufferedSplits ?? this.options.maxBufferedSplits ?? Math.max(2, workers + 1);
  }

  /** The stage's supervision policy: its own, else the job's, else the defaults. */
  supervisionOf(name: string): ResolvedSupervision {
    return resolveSupervision(this.options.supervision, this.getStage(name).options.supervision);
  }

  /**
   * Throws unless the job can run: at least one stage; every stage that
   * feeds no other runs a sink, since its output would go nowhere; and no
   * stage reads from a sink, which emits nothing.
   */
  validate(): void {
    if (this.stages.size === 0) throw new JobDefinitionError(`Job '${this.jobId}' has no stages`);
    for (const [name, stage] of this.stages) {
      const downstreams = this.downstreamsOf(name);
      const isSink = isSinkOperatorClass(stage.operator);
      if (isSink && downstreams.length > 0) {
        throw new JobDefinitionError(
          `Stage '${name}' runs a sink (${stage.operator.name}), which emits nothing, but ${downstreams.map((d) => `'${d}'`).join(', ')} read${downstreams.length === 1 ? 's' : ''} from it; ` +
            `feed ${downstreams.length === 1 ? 'it' : 'them'} from the stage before '${name}'`,
        );
      }
      if (!isSink && downstreams.length === 0) {
        throw new JobDefinitionError(
          `Stage '${name}' (${stage.operator.name}) feeds no stage and is not a sink, so its output would be dropped: ` +
            `add a sink after it (FileSink, LanceSink, PrintSink), or make its operator extend SinkOperator if it writes its input itself`,
        );
      }
    }
  }
}
