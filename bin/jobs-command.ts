import { formatSummary } from '../runtime/progress-reporter.js';
import { jobIdsIn, listJobs, readJobHistory, type AttemptHistory, type AttemptStatus, type CheckpointEntry, type JobHistory, type RunHistory } from '../runtime/job-history.js';
import { defaultStateLocation, openStateBackend } from '../state/open-state-backend.js';
import type { RecordedError } from '../state/run-records.js';
import { describeFailure } from './run-command.js';

export interface JobsCommand {
  action: 'list' | 'show';
  /** The job `show` shows. */
  jobId?: string;
  stateBackend?: string;
  json: boolean;
}

/** `solstice-node jobs list|show`: what happened to the jobs of a state location. Returns the exit code. */
export async function jobsCommand(command: JobsCommand): Promise<number> {
  const location = command.stateBackend ?? defaultStateLocation();
  try {
    if (command.action === 'list') return await printJobs(location, command.json);
    return await printJob(location, command.jobId!, command.json);
  } catch (error) {
    process.stderr.write(`${describeFailure(error)}\n`);
    return 1;
  }
}

async function printJobs(location: string, json: boolean): Promise<number> {
  const listing = await listJobs(location);
  if (json) {
    process.stdout.write(`${JSON.stringify(listing, null, 2)}\n`);
    return 0;
  }
  if (listing.jobs.length === 0) {
    process.stdout.write(`no jobs in ${listing.location}\n`);
    return 0;
  }
  const rows = listing.jobs.map(({ jobId, lastRun, latestCheckpoint }) => [
    jobId, lastRun ? lastRun.runId.slice(0, 8) : '-', lastRun ? statusText(lastRun.status) : 'no run record',
    lastRun?.startedAt ?? '-', lastRun?.endedAt ?? '-', latestCheckpoint ? checkpointText(latestCheckpoint) : '-',
  ]);
  process.stdout.write(`jobs in ${listing.location}\n${table(['job', 'run', 'status', 'started', 'ended', 'latest checkpoint'], rows)}\n`);
  return 0;
}

async function printJob(location: string, jobId: string, json: boolean): Promise<number> {
  const history = await readJobHistory(location, jobId);
  if (!history) {
    const backend = openStateBackend(location);
    const jobs = await jobIdsIn(backend);
    const there = jobs.length === 0 ? 'there are no jobs there' : `the jobs there: ${jobs.join(', ')}`;
    process.stderr.write(`job '${jobId}' has neither run records nor checkpoints in ${backend.url}; ${there}\n`);
    return 1;
  }
  process.stdout.write(json ? `${JSON.stringify(history, null, 2)}\n` : `${formatJobHistory(history)}\n`);
  return 0;
}

/** A job's runs, newest first: each with its attempts, its checkpoints and its last attempt's summary. */
export function formatJobHistory(history: JobHistory): string {
  const runs = history.runs.length === 1 ? '1 run' : `${history.runs.length} runs, newest first`;
  const lines = [`job ${history.jobId} in ${history.location}: ${runs}`];
  for (const run of history.runs) lines.push('', ...formatRun(run));
  if (history.otherCheckpoints.length > 0) lines.push('', 'checkpoints of no recorded run:', ...history.otherCheckpoints.map((entry) => `  ${checkpointText(entry)}`));
  if (history.damaged.length > 0) lines.push('', 'run records that cannot be read:', ...history.damaged.map(({ key, problem }) => `  ${key}: ${problem}`));
  return lines.join('\n');
}

function formatRun(run: RunHistory): string[] {
  const lines = [`run ${run.runId}: ${statusText(run.status)}, started ${run.startedAt}${run.endedAt ? `, ended ${run.endedAt}` : ''}`];
  for (const attempt of run.attempts) lines.push(...formatAttempt(attempt));
  lines.push(run.checkpoints.length === 0 ? '  checkpoints: none kept' : '  checkpoints:', ...run.checkpoints.map((entry) => `    ${checkpointText(entry)}`));
  const last = run.attempts.findLast((attempt) => attempt.end?.summary);
  if (last) {
    lines.push(`  summary of attempt ${last.attempt} (${statusText(last.status)}):`, ...attemptSummary(last).split('\n').map((line) => `    ${line}`));
  }
  return lines;
}

/** The summary table `run` printed, or would have: an attempt that did not complete did not finish. */
function attemptSummary(attempt: AttemptHistory): string {
  const { summary, outcome } = attempt.end!;
  const text = formatSummary(summary!);
  if (outcome === 'completed') return text;
  return text.replace(`\njob ${summary!.jobId} finished in `, `\njob ${summary!.jobId} ${outcome} after `);
}

function formatAttempt(attempt: AttemptHistory): string[] {
  const end = attempt.end ? `ended ${attempt.end.endedAt}  ${attempt.end.outcome}` : statusText(attempt.status);
  const resumed = attempt.resumedFrom === undefined ? '' : `, resumed from checkpoint ${attempt.resumedFrom}`;
  const indent = ' '.repeat(13);
  return [
    `  attempt ${String(attempt.attempt).padEnd(2)} started ${attempt.startedAt}  ${end}${resumed}`,
    `${indent}on ${attempt.host}, pid ${attempt.pid} (${attempt.command}); ${attempt.placement}`,
    ...(attempt.end?.error ? errorLines(attempt.end.error).map((line) => `${indent}${line}`) : []),
  ];
}

/** The error and its causes, one a line, as `run` prints them. */
function errorLines(error: RecordedError): string[] {
  const lines = [`error: ${error.name}: ${error.message}`];
  for (let cause = error.cause; cause; cause = cause.cause) lines.push(`  caused by ${cause.name}: ${cause.message}`);
  return lines;
}

function statusText(status: AttemptStatus): string {
  return status === 'unrecorded' ? 'ended without a record (killed?)' : status;
}

function checkpointText(entry: CheckpointEntry): string {
  if (entry.damaged) return `${entry.id}  damaged: ${entry.damaged}`;
  return `${entry.id}  ${entry.createdAt}${entry.final ? '  final' : ''}`;
}

/** Columns padded to their widest cell, two spaces apart. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  return [header, ...rows].map((cells) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}
