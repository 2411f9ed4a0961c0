import type { StageMetrics } from '../protocol/messages.js';
import type { JobSummary } from './runner-options.js';

/** One line of per-stage progress: `source 3/9 splits 66666 rows | transform ...`. */
export function formatProgress(elapsedMs: number, stages: readonly StageMetrics[]): string {
  const parts = stages.map((s) => {
    const splits = s.splitsPlanned === undefined ? `${s.splitsIn}` : `${s.splitsIn}/${s.splitsPlanned}`;
    return `${s.stage} ${splits} splits ${s.rowsIn} rows${s.inFlight ? ` (${s.inFlight} running)` : ''}`;
  });
  // No figures: the job's actors are starting, or starting again after a loss.
  return `[${(elapsedMs / 1000).toFixed(1)}s] ${parts.length > 0 ? parts.join(' | ') : 'starting'}`;
}

/** The end-of-job table: one row per stage. */
export function formatSummary(summary: JobSummary): string {
  const header = ['stage', 'workers', 'splits in', 'splits out', 'rows in', 'rows out', 'max buffered'];
  const rows = summary.stages.map((s) => [
    s.stage, String(s.workers), String(s.splitsIn), String(s.splitsOut), String(s.rowsIn), String(s.rowsOut), `${s.maxBuffered}/${s.bufferCapacity}`,
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
    line(header),
    ...rows.map(line),
    `job ${summary.jobId} finished in ${seconds.toFixed(2)} s (${Math.round(sourceRows / Math.max(seconds, 1e-3))} source rows/s)`,
  ].join('\n');
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
