import { ERROR_SAMPLES, type StageSplitCount } from '../../protocol/messages.js';

interface Counts {
  splitsIn: number;
  splitsOut: number;
  rowsIn: number;
  rowsOut: number;
  /** An errors output's first records. */
  errorSamples?: string[];
  recordsSkipped?: number;
  deadLetters?: number;
}

/**
 * Splits and rows in and out of each stage of a master's chain, as the
 * workers report them. A stage counts a split in when it ran on it, and out
 * when it emitted rows (the chain's last stage: when its output went to a
 * downstream stage). An errors output keeps its first records, as reported.
 */
export class ChainCounts {
  private readonly counts = new Map<string, Counts>();

  constructor(private readonly chain: readonly string[]) {
    for (const stage of chain) this.counts.set(stage, { splitsIn: 0, splitsOut: 0, rowsIn: 0, rowsOut: 0 });
  }

  /**
   * What the stages that ran did with one split; `handedOn` says whether its
   * output went downstream. After a stage's `finish`, the first entry is that
   * stage's end-of-input output, which no split brought in.
   */
  record(stages: readonly StageSplitCount[], handedOn: boolean, fromFinish = false): void {
    const tail = this.chain[this.chain.length - 1];
    stages.forEach(({ stage, rowsIn, rowsOut, samples, skipped, deadLettered }, index) => {
      const counts = this.counts.get(stage)!;
      if (skipped) counts.recordsSkipped = (counts.recordsSkipped ?? 0) + skipped;
      if (deadLettered) counts.deadLetters = (counts.deadLetters ?? 0) + deadLettered;
      if (samples) counts.errorSamples = [...(counts.errorSamples ?? []), ...samples].slice(0, ERROR_SAMPLES);
      if (!(fromFinish && index === 0)) counts.splitsIn++;
      counts.rowsIn += rowsIn;
      counts.rowsOut += rowsOut;
      if (stage === tail ? handedOn : rowsOut > 0) counts.splitsOut++;
    });
  }

  of(stage: string): Counts {
    const counts = this.counts.get(stage)!;
    return { ...counts, ...(counts.errorSamples ? { errorSamples: [...counts.errorSamples] } : {}) };
  }
}
