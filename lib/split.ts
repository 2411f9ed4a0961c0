/** The part of a source that one split reads: plain JSON, so it can travel in control messages. */
export type DataRange = Record<string, unknown>;

export interface SplitJSON {
  stage: string;
  lineage: string;
  range?: DataRange;
  parentSplitIds: string[];
  partition?: number;
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

  constructor(init: SplitJSON) {
    this.stage = init.stage;
    this.lineage = init.lineage;
    this.range = init.range;
    this.parentSplitIds = init.parentSplitIds;
    this.partition = init.partition;
  }

  get splitId(): string {
    return `${this.stage}/${this.lineage}`;
  }

  /** The `index`-th split planned by source stage `stage`. */
  static forSource(stage: string, index: number, range: DataRange): Split {
    return new Split({ stage, lineage: `${stage}-${String(index).padStart(5, '0')}`, range, parentSplitIds: [] });
  }

  /** The split that `stage` makes from this one (one partition of it, after a keyed shuffle). */
  deriveFor(stage: string, partition?: number): Split {
    const lineage = partition === undefined ? this.lineage : `${this.lineage}.k${partition}`;
    return new Split({ stage, lineage, parentSplitIds: [this.splitId], partition });
  }

  toJSON(): SplitJSON {
    const json: SplitJSON = { stage: this.stage, lineage: this.lineage, parentSplitIds: [...this.parentSplitIds] };
    if (this.range !== undefined) json.range = this.range;
    if (this.partition !== undefined) json.partition = this.partition;
    return json;
  }

  static fromJSON(json: SplitJSON): Split {
    return new Split(json);
  }
}
