import type { ScalingRecord, StageMetrics } from '../protocol/messages.js';
import type { JobSummary } from './runner-options.js';

/** One line of per-stage progress: `source 3/9 splits 66666 rows | transform ...`. */
export function formatProgress(elapsedMs: number, stages: readonly StageMetrics[]): string {
  const parts = stages.map((s) => {
    const splits = s.splitsPlanned === undefined ? `${s.splitsIn}` : `${s.splitsIn}/${s.splitsPlanned}`;
    const running = s.inFlight ? ` (${s.inFlight} running)` : '';
    // An elastic stage says its workers, the count it is moving to, and how busy they were.
    const busy = s.scaling?.busy === undefined ? '' : ` busy ${s.scaling.busy.toFixed(2)}`;
    const workers = s.scaling ? ` workers ${s.workers}${s.scaling.target === s.workers ? '' : `->${s.scaling.target}`}${busy}` : '';
    return `${s.stage} ${splits} splits ${s.rowsIn} rows${running}${workers}`;
  });
  // No figures: the job's actors are starting, or starting again after a loss.
  return `[${(elapsedMs / 1000).toFixed(1)}s] ${parts.length > 0 ? parts.join(' | ') : 'starting'}`;
}

/**
 * Where a running job's progress goes: plain lines ({@link ProgressLines}) or
 * live bars in a terminal (StageProgressBars, runtime/progress-bars.ts).
 */
export interface ProgressView {
  /** The figures of one poll, `elapsedMs` after the job started. */
  show(elapsedMs: number, stages: readonly StageMetrics[]): void;
  /** A line that is not progress (a signal noticed, figures unavailable), printed without breaking the view. */
  note(line: string): void;
  /** The job ended: shows its last figures when it has them, and leaves the output ready for the summary. */
  close(elapsedMs: number, lastStages?: readonly StageMetrics[]): void;
}

/** Progress as one {@link formatProgress} line per poll: for logs, pipes and files. */
export class ProgressLines implements ProgressView {
  constructor(private readonly out: NodeJS.WritableStream) {}

  show(elapsedMs: number, stages: readonly StageMetrics[]): void {
    this.out.write(`${formatProgress(elapsedMs, stages)}\n`);
  }

  note(line: string): void {
    this.out.write(`${line}\n`);
  }

  close(): void {}
}

/** The end-of-job table: one row per stage. */
export function formatSummary(summary: JobSummary): string {
  const header = ['stage', 'workers', 'splits in', 'splits out', 'rows in', 'rows out', 'max buffered', 'worker-s'];
  const rows = summary.stages.map((s) => [
    s.stage, String(s.workers), String(s.splitsIn), String(s.splitsOut), String(s.rowsIn), String(s.rowsOut), `${s.maxBuffered}/${s.bufferCapacity}`,
    // Worker-seconds are the chain's: on its first stage.
    s.workerTime ? (s.workerTime.workersMs / 1000).toFixed(1) : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const sourceRows = summary.stages.filter((s) => s.splitsPlanned !== undefined).reduce((sum, s) => sum + s.rowsOut, 0);
  const seconds = summary.wallTimeMs / 1000;
  return [
    ...(summary.resumedFrom === undefined ? [] : [`resumed from checkpoint ${summary.resumedFrom}`]),
    `plan: ${formatPlan(summary.stages)}`,
    ...(summary.restarts === 0 ? [] : [`restarted ${summary.restarts} time(s) after losing workers, masters or hosts; the figures are the last attempt's`]),
    ...(summary.workersReplaced === 0 ? [] : [`${summary.workersReplaced} lost worker(s) replaced while the job ran, their splits read again`]),
    ...summary.stages.flatMap((s) => (s.scaling && s.scaling.decisions.length > 0 ? [formatScaling(s.stage, s.scaling.decisions)] : [])),
    line(header),
    ...rows.map(line),
    `job ${summary.jobId} finished in ${seconds.toFixed(2)} s (${Math.round(sourceRows / Math.max(seconds, 1e-3))} source rows/s)`,
    ...summary.warnings.map((warning) => `warning: ${warning}`),
  ].join('\n');
}

/** An elastic stage's worker counts over the run: `work scaled 1 -> 2 -> 1 (last: busy 0.21, ...: mostly idle, its input is done)`. */
function formatScaling(stage: string, decisions: readonly ScalingRecord[]): string {
  const counts = [decisions[0]!.from, ...decisions.map((decision) => decision.to)];
  return `${stage} scaled ${counts.join(' -> ')} (last: ${decisions[decisions.length - 1]!.reason})`;
}

/** The stages as they ran: fused chains joined by '+', chains by ' -> ' ("source -> transform+filter -> sink"). */
export function formatPlan(stages: readonly StageMetrics[]): string {
  const chains: string[] = [];
  for (const stage of stages) {
    const chain = stage.chain ?? [stage.stage];
    if (chain[0] === stage.stage) chains.push(chain.join('+'));
  }
  return chains.join(' -> ');
}
