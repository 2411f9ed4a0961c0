/**
 * The part of a source that one split reads: plain JSON, so it can travel in
 * control messages. A range may name a `stream` (a string): splits of one
 * stream are parts of one thing read in order (the row ranges of one Parquet
 * row group), best read by one worker one after another, and the stage
 * hands them so (see the stage's work queue). `rows`, about how many rows
 * the range holds, lets the stage cut a range that would take too long
 * (`SourceOperator.cutRange`).
 */
export type DataRange = Record<string, unknown> & { stream?: string; rows?: number };

export interface SplitJSON {
  stage: string;
  lineage: string;
  /** The checkpoint epoch of the source split this one descends from. */
  epoch: number;
  range?: DataRange;
  parentSplitIds: string[];
  partition?: number;
}

/** The id of the split a JSON description stands for: `<stage>/<lineage>`. */
export function splitIdOf(split: Pick<SplitJSON, 'stage' | 'lineage'>): string {
  return `${split.stage}/${split.lineage}`;
}

/**
 * A unit of work. Its id is deterministic: `<stage>/<lineage>`, where the lineage
 * is the source split it descends from (`<source stage>-<index>`) plus one
 * `.k<partition>` per keyed shuffle on the way. Re-running a job plans the same
 * ids, which is what lets a sink overwrite a retried split instead of duplicating it.
 */
export class Split {
  readonly stage: string;
  readonly lineage: string;
  readonly range: DataRange | undefined;
  readonly parentSplitIds: readonly string[];
  readonly partition: number | undefined;
  /**
   * The epoch the split belongs to: its source split was handed out after
   * checkpoint `epoch - 1` and before checkpoint `epoch`. Checkpoint n
   * covers exactly the splits of epochs up to n.
   */
  readonly epoch: number;

  constructor(init: SplitJSON) {
    this.stage = init.stage;
    this.lineage = init.lineage;
    this.epoch = init.epoch;
    this.range = init.range;
    this.parentSplitIds = init.parentSplitIds;
    this.partition = init.partition;
  }

  get splitId(): string {
    return splitIdOf(this);
  }

  /** The `index`-th split planned by source stage `stage`, handed out in `epoch`. */
  static forSource(stage: string, index: number, range: DataRange, epoch: number): Split {
    return new Split({ stage, lineage: `${stage}-${String(index).padStart(5, '0')}`, range, parentSplitIds: [], epoch });
  }

  /** The split that carries what worker `worker` of `stage` emits when its input ends. */
  static forFinish(stage: string, worker: number, epoch: number): Split {
    return new Split({ stage, lineage: `${stage}.end-w${worker}`, parentSplitIds: [], epoch });
  }

  /** The split that `stage` makes from this one (one partition of it, after a keyed shuffle). */
  deriveFor(stage: string, partition?: number): Split {
    const lineage = partition === undefined ? this.lineage : `${this.lineage}.k${partition}`;
    return new Split({ stage, lineage, parentSplitIds: [this.splitId], partition, epoch: this.epoch });
  }

  toJSON(): SplitJSON {
    const json: SplitJSON = { stage: this.stage, lineage: this.lineage, epoch: this.epoch, parentSplitIds: [...this.parentSplitIds] };
    if (this.range !== undefined) json.range = this.range;
    if (this.partition !== undefined) json.partition = this.partition;
    return json;
  }

  static fromJSON(json: SplitJSON): Split {
    return new Split(json);
  }
}
