import cliProgress, { type MultiBar, type SingleBar } from 'cli-progress';
import type { StageMetrics } from '../protocol/messages.js';
import type { ProgressView } from './progress-reporter.js';
import { RowRates } from './row-rates.js';

/**
 * Live progress in a terminal: one bar per stage (each stage of a fused chain
 * too, as the summary lists them), drawn and redrawn in place by
 * cli-progress's MultiBar (docs/libraries.md says why that library). A bar
 * fills with the splits done of those planned where they are known (a source
 * and the stages fused after it); another stage's bar fills when it
 * finishes. Then come the splits in and in flight, the rows in, the rows/s
 * over the last seconds (RowRates), the queue at the chain's first stage, the
 * output buffer at its last, and the workers, now/target for an elastic stage:
 *
 *     source    █████░░░░░░░░░░░░░░░  11/48 splits  1 running  706,363 rows  402,028 rows/s  queue 36  workers 1
 *     sink      █████░░░░░░░░░░░░░░░  11/48 splits  1 running  362,614 rows  206,382 rows/s            buffered 0/2  workers 1
 *
 * The figures are columns, padded to the widest value shown so far so that
 * lines stay aligned as counts grow. The terminal's cursor and line wrapping
 * are given back when the view closes, and also if the process exits first.
 */
export class StageProgressBars implements ProgressView {
  private readonly multibar: MultiBar;
  private readonly bars = new Map<string, SingleBar>();
  private readonly rates: RowRates;
  private readonly columns = new StageColumns();
  private readonly giveBackTerminal = (): void => this.multibar.stop();
  private closed = false;

  /** `rateWindowMs`: how far back rows/s looks. */
  constructor(private readonly stream: NodeJS.WriteStream, rateWindowMs: number) {
    this.rates = new RowRates(rateWindowMs);
    this.multibar = new cliProgress.MultiBar({
      stream,
      format: `{${NAME}} {bar}  ${FIGURES.map((figure) => `{${figure}}`).join('  ')}{state}`,
      barsize: 20,
      barCompleteChar: '\u2588',
      barIncompleteChar: '\u2591',
      // Redraws come from the polls; this only bounds how late one shows.
      fps: 5,
      // Every line on every redraw: after a note logged above them the bars move down a line, and a bar skipped
      // because its text did not change would leave the line above's old text in its place.
      forceRedraw: true,
      hideCursor: true,
      // A line wider than the terminal is cut at its edge rather than wrapped, which would break the redraw.
      linewrap: false,
    });
  }

  show(elapsedMs: number, stages: readonly StageMetrics[]): void {
    if (this.closed) return;
    const rates = this.rates.record(elapsedMs, stages);
    const planned = splitsPlanned(stages);
    const lines = this.columns.lay(stages.map((stage) => stageFigures(stage, planned.get(stage.stage), rates.get(stage.stage) ?? 0)));
    stages.forEach((stage, i) => this.draw(stage, planned.get(stage.stage), lines[i]!));
  }

  note(line: string): void {
    if (this.closed || this.bars.size === 0) this.stream.write(`${line}\n`);
    else this.multibar.log(`${line}\n`);
  }

  close(elapsedMs: number, lastStages?: readonly StageMetrics[]): void {
    if (this.closed) return;
    if (lastStages) this.show(elapsedMs, lastStages);
    this.closed = true;
    if (this.bars.size === 0) return;
    process.removeListener('exit', this.giveBackTerminal);
    // A redraw first prints the notes logged since the last one; stop() then leaves the bars as they are, cursor below.
    this.multibar.update();
    this.multibar.stop();
  }

  private draw(stage: StageMetrics, planned: number | undefined, figures: Record<string, string>): void {
    const { done, total } = barProgress(stage, planned);
    const bar = this.bars.get(stage.stage);
    if (bar) {
      bar.setTotal(total);
      bar.update(done, figures);
      return;
    }
    if (this.bars.size === 0) process.once('exit', this.giveBackTerminal);
    this.bars.set(stage.stage, this.multibar.create(total, done, figures));
  }
}

const NAME = 'name';
/** The figures of a bar's line, in order, each a column. */
const FIGURES = ['splits', 'running', 'rows', 'rate', 'queue', 'buffered', 'workers'] as const;
type Figure = (typeof FIGURES)[number];
/** Counts are right-aligned in their columns, words left-aligned. */
const RIGHT_ALIGNED: ReadonlySet<string> = new Set<Figure>(['rows', 'rate']);

/**
 * The splits planned that each stage will see, where known: a source's, and
 * those of the stages fused after it, through which every split of the
 * source goes. Another stage's splits are its upstream stages' output,
 * not known before they finish.
 */
function splitsPlanned(stages: readonly StageMetrics[]): Map<string, number> {
  const bySource = new Map(stages.flatMap((stage) => (stage.splitsPlanned === undefined ? [] : [[stage.stage, stage.splitsPlanned] as const])));
  const planned = new Map<string, number>();
  for (const stage of stages) {
    const total = bySource.get(stage.chain?.[0] ?? stage.stage);
    if (total !== undefined) planned.set(stage.stage, total);
  }
  return planned;
}

/** The splits done of those planned, where known; else 0 of 1 until the stage finishes. */
function barProgress(stage: StageMetrics, planned: number | undefined): { done: number; total: number } {
  if (planned !== undefined) return { done: Math.min(stage.splitsIn, planned), total: planned };
  return { done: stage.state === 'finished' ? 1 : 0, total: 1 };
}

/** A stage's figures as text: the queue only at the chain's first stage, the output buffer only at its last. */
function stageFigures(stage: StageMetrics, planned: number | undefined, rowsPerSec: number): Record<string, string> {
  const chain = stage.chain ?? [stage.stage];
  return {
    [NAME]: stage.stage,
    // Done padded to the width of planned, so that the column does not widen as splits finish.
    splits: `${planned === undefined ? stage.splitsIn : `${String(stage.splitsIn).padStart(String(planned).length)}/${planned}`} splits`,
    running: stage.inFlight > 0 && stage.state === 'running' ? `${stage.inFlight} running` : '',
    rows: `${count(stage.rowsIn)} rows`,
    rate: `${count(Math.round(rowsPerSec))} rows/s`,
    queue: chain[0] === stage.stage ? `queue ${stage.queued}` : '',
    buffered: chain[chain.length - 1] === stage.stage ? `buffered ${stage.buffered}/${stage.bufferCapacity}` : '',
    workers: `workers ${stage.scaling ? `${stage.workers}/${stage.scaling.target}` : stage.workers}`,
    state: STATE_WORDS[stage.state],
  };
}

const STATE_WORDS: Record<StageMetrics['state'], string> = { created: '', running: '', finished: '  done', failed: '  failed', aborted: '  aborted' };

function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** Pads each column of the bars' lines to the widest value it has shown, so that the lines stay aligned. */
class StageColumns {
  private readonly widths = new Map<string, number>();

  lay(lines: Record<string, string>[]): Record<string, string>[] {
    for (const line of lines) {
      for (const [column, text] of Object.entries(line)) this.widths.set(column, Math.max(this.widths.get(column) ?? 0, text.length));
    }
    return lines.map((line) => Object.fromEntries(Object.entries(line).map(([column, text]) => [column, this.pad(column, text)])));
  }

  private pad(column: string, text: string): string {
    if (column === 'state') return text;
    const width = this.widths.get(column)!;
    return RIGHT_ALIGNED.has(column) ? text.padStart(width) : text.padEnd(width);
  }
}
