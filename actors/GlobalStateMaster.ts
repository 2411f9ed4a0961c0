/** How far the sources have read. */
export interface SourceProgress {
  /** Source splits fully read and handed downstream. */
  splitsDone: number;
  /** Records those splits held. */
  records: number;
}

/**
 * The job-wide record of progress: which source splits have been read. It is
 * what a checkpoint captures as source positions, and what record-count
 * checkpoint triggers count against.
 */
export default class GlobalStateMaster {
  private readonly doneSourceSplits = new Map<string, number>();
  private records = 0;

  /** Source StageMaster -> state master: a source split has been read whole. */
  sourceSplitDone(splitId: string, records: number): void {
    if (this.doneSourceSplits.has(splitId)) return;
    this.doneSourceSplits.set(splitId, records);
    this.records += records;
  }

  progress(): SourceProgress {
    return { splitsDone: this.doneSourceSplits.size, records: this.records };
  }
}
