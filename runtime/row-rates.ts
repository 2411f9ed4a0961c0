import type { StageMetrics } from '../protocol/messages.js';

interface RowsSample {
  /** When, in ms since the job started. */
  at: number;
  rowsIn: ReadonlyMap<string, number>;
}

/**
 * Each stage's rows in per second over a sliding window of progress samples.
 * Invariant: the oldest sample kept is the newest one at least `windowMs`
 * before the latest (or the oldest there is), so the rate spans at least the
 * window once the job has run that long, and one split landing between two
 * close samples does not make the figure jump. Rows that went down (the job
 * restarted from a checkpoint) count from zero again, never as a negative rate.
 */
export class RowRates {
  private readonly samples: RowsSample[] = [{ at: 0, rowsIn: new Map() }];

  constructor(private readonly windowMs: number) {}

  /** Records the stages' rows in at `at` (ms since the job started) and returns each stage's rows/s over the window. */
  record(at: number, stages: readonly StageMetrics[]): Map<string, number> {
    const rowsIn = new Map(stages.map((stage) => [stage.stage, stage.rowsIn]));
    this.samples.push({ at, rowsIn });
    while (this.samples.length > 2 && this.samples[1]!.at <= at - this.windowMs) this.samples.shift();
    const base = this.samples[0]!;
    const seconds = (at - base.at) / 1000;
    const rates = new Map<string, number>();
    for (const [stage, rows] of rowsIn) {
      const before = base.rowsIn.get(stage) ?? 0;
      const gained = rows >= before ? rows - before : rows;
      rates.set(stage, seconds > 0 ? gained / seconds : 0);
    }
    return rates;
  }
}
