import { ArgumentError, JobStoppedError, SolsticeError } from '../lib/errors/index.js';
import { logLevelOf, type LogFormat, type LogLevel } from '../lib/logger.js';
import type { RestoreRequest } from '../lib/job-spec.js';
import { formatSummary, ProgressLines, type ProgressView } from '../runtime/progress-reporter.js';
import { StageProgressBars } from '../runtime/progress-bars.js';
import type { StageMetrics } from '../protocol/messages.js';
import { JobRunner } from '../runtime/runner.js';
import type { Dashboard, StopOptions } from '../runtime/runner-options.js';
import { createJobFromWorkflow, resolveWorkflowPath } from '../lib/workflow-loader.js';
import type { WorkerMode } from '../lib/placement-config.js';
import { placementFromOptions } from './placement-option.js';
import { readClusterConfig } from '../cluster/cluster-config.js';

/** Options of `run` that are the command's own, not the workflow's config. */
export const RUN_OPTION_NAMES = new Set(['workflow', 'jobId', 'progressInterval', 'logLevel', 'logFormat', 'stateBackend', 'state', 'restore', 'workers', 'placement', 'hosts', 'explain', 'deadLetter', 'failOnDeadLetters', 'quiet', 'json', 'dashboard', 'dashboardHost', 'help', 'version', 'h']);

export interface RunCommand {
  workflow: string;
  jobId: string;
  /** `--progress-interval`: seconds between progress updates, 0 for none; absent, {@link DEFAULT_PROGRESS_SECONDS}. */
  progressIntervalSecs?: number;
  logLevel?: LogLevel;
  /** `--log-format`: json or pretty lines, from every actor of the job. */
  logFormat?: LogFormat;
  stateBackend?: string;
  /** The `--restore` value as typed. */
  restore?: string;
  /** `--workers`: the mode of every stage's workers. */
  workers?: WorkerMode;
  /** `--placement`: a placement JSON file. */
  placementFile?: string;
  /** `start --hosts`: cluster.json, whose hosts run the workers. */
  clusterFile?: string;
  config: Record<string, unknown>;
  /** `--explain`: print the plan and exit without running. */
  explain?: boolean;
  /** `--dead-letter`: where dead letters go. */
  deadLetter?: string;
  /** `--fail-on-dead-letters`: exit 3 when there are dead letters. */
  failOnDeadLetters?: boolean;
  /** `--quiet`: no progress and no summary; errors still on stderr. */
  quiet?: boolean;
  /** `--json`: the summary, or the failure, as one JSON document on stdout instead of the table. */
  json?: boolean;
  /** `--dashboard [PORT]` and `--dashboard-host`: serve the job's metrics and status there, until Ctrl-C after the job ends. */
  dashboard?: { port: number; host?: string };
}

/** The port of `--dashboard` given without one. */
export const DEFAULT_DASHBOARD_PORT = 6180;

/** Seconds between progress updates by default: bars redrawn in a terminal, lines written elsewhere (a log, a pipe). */
const DEFAULT_PROGRESS_SECONDS = { bars: 0.5, lines: 2 };
/** How far back the bars' rows/s looks, at least: a split landing between two close polls would make it jump. */
const RATE_WINDOW_MS = 2000;

/** The exit code of a job that ended with dead letters under `--fail-on-dead-letters`. */
export const DEAD_LETTERS_EXIT_CODE = 3;

/** `--restore` as a request: latest, none, a checkpoint id; absent means auto. */
export function parseRestore(value: string | undefined): RestoreRequest {
  if (value === undefined) return 'auto';
  if (value === 'latest' || value === 'none') return value;
  const id = Number(value);
  if (!Number.isInteger(id) || id < 1) throw new ArgumentError('--restore', value, `--restore takes 'latest', 'none' or a checkpoint id, got '${value}'`);
  return id;
}

/**
 * `solstice-node run`: returns the process exit code. Under `--dashboard`,
 * once the job has ended, the dashboard goes on serving its final figures
 * until SIGINT or SIGTERM.
 */
export async function runWorkflowCommand(command: RunCommand): Promise<number> {
  const served: { dashboard?: Dashboard } = {};
  const code = await runJob(command, served);
  const { dashboard } = served;
  if (!dashboard) return code;
  process.stderr.write(`the job has ended; the dashboard at ${dashboard.url} serves its final figures until Ctrl-C\n`);
  await untilSignal();
  await dashboard.close();
  return code;
}

async function runJob(command: RunCommand, served: { dashboard?: Dashboard }): Promise<number> {
  const started = Date.now();
  let progress: ProgressWatch | undefined;
  let releaseSignals: (() => void) | undefined;
  try {
    const restore = parseRestore(command.restore);
    const workflowModule = resolveWorkflowPath(command.workflow);
    const job = await createJobFromWorkflow(workflowModule, command.jobId, command.config);
    // On a cluster, workers run on its hosts unless a placement file says more.
    const placement = command.clusterFile && !command.placementFile ? undefined : await placementFromOptions(command.workers, command.placementFile);
    const cluster = command.clusterFile ? await readClusterConfig(command.clusterFile) : undefined;
    const runner = new JobRunner(job, {
      workflowModule, config: command.config, logLevel: command.logLevel, logFormat: command.logFormat, stateBackend: command.stateBackend, restore, placement, cluster,
      ...(command.deadLetter === undefined ? {} : { deadLetter: command.deadLetter }),
    });
    if (command.explain) {
      process.stdout.write(`${runner.explain()}\n`);
      return 0;
    }
    if (command.dashboard) {
      served.dashboard = await runner.serveDashboard(command.dashboard);
      process.stderr.write(`dashboard: ${served.dashboard.url}\n`);
    }
    await runner.initialize();
    progress = watchProgress(runner, command, started);
    releaseSignals = stopOnSignals(runner, (line) => (progress ? progress.view.note(line) : process.stderr.write(`${line}\n`)));
    const summary = await runner.run();
    progress?.stop(summary.stages);
    if (command.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else if (!command.quiet) process.stdout.write(`${formatSummary(summary)}\n`);
    if (summary.deadLetters && summary.deadLetters.count > 0) {
      process.stderr.write(`${summary.deadLetters.count} dead letter(s) in ${summary.deadLetters.path}\n`);
      if (command.failOnDeadLetters) return DEAD_LETTERS_EXIT_CODE;
    }
    return 0;
  } catch (error) {
    progress?.stop();
    process.stderr.write(`${describeFailure(error)}\n`);
    if (command.json) process.stdout.write(`${JSON.stringify({ error: errorJson(error) }, null, 2)}\n`);
    return error instanceof JobStoppedError ? 130 : 1;
  } finally {
    releaseSignals?.();
  }
}

/** Resolves at the first SIGINT or SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** A running job's progress view, fed by a poll of the runner's figures until stopped. */
interface ProgressWatch {
  view: ProgressView;
  /** Stops the polls and closes the view, on the job's last figures when it finished; figures of a poll still in flight are dropped. */
  stop(lastStages?: readonly StageMetrics[]): void;
}

/**
 * Log levels at which the framework's log lines (on stderr, from every
 * process of the job) come often enough to scroll bars apart: progress is
 * lines then.
 */
const CHATTY_LOG_LEVELS: ReadonlySet<string> = new Set<LogLevel>(['info', 'debug', 'trace']);

/**
 * Polls the runner's figures into bars when stderr is a terminal (and the log
 * is not chatty), into lines otherwise; none under `--quiet` or an interval of 0.
 */
function watchProgress(runner: { metrics(): Promise<StageMetrics[]> }, command: RunCommand, started: number): ProgressWatch | undefined {
  const bars = process.stderr.isTTY === true && process.env['TERM'] !== 'dumb' && !CHATTY_LOG_LEVELS.has(logLevelOf(command.logLevel));
  const seconds = command.progressIntervalSecs ?? (bars ? DEFAULT_PROGRESS_SECONDS.bars : DEFAULT_PROGRESS_SECONDS.lines);
  if (command.quiet || seconds <= 0) return undefined;
  const view = bars ? new StageProgressBars(process.stderr, Math.max(RATE_WINDOW_MS, seconds * 1000)) : new ProgressLines(process.stderr);
  let stopped = false;
  const timer = setInterval(() => {
    runner.metrics().then(
      (stages) => {
        if (!stopped) view.show(Date.now() - started, stages);
      },
      (error: unknown) => {
        if (!stopped) view.note(`progress unavailable: ${(error as Error).message}`);
      },
    );
  }, seconds * 1000);
  return {
    view,
    stop(lastStages) {
      stopped = true;
      clearInterval(timer);
      view.close(Date.now() - started, lastStages);
    },
  };
}

/** A failure as `--json` prints it: the error's class, message and fields (SolsticeError.details()), then its cause, and so on. */
export interface ErrorJson {
  class: string;
  message: string;
  details?: Record<string, unknown>;
  cause?: ErrorJson;
}

export function errorJson(error: unknown): ErrorJson {
  if (!(error instanceof Error)) return { class: typeof error, message: String(error) };
  return {
    class: error.name,
    message: error.message,
    ...(error instanceof SolsticeError ? { details: error.details() } : {}),
    ...(error.cause === undefined ? {} : { cause: errorJson(error.cause) }),
  };
}

/** The error and its causes, one per line; stack traces only for errors that are not ours. */
export function describeFailure(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  let prefix = 'error: ';
  while (current !== undefined) {
    if (current instanceof Error) {
      lines.push(`${prefix}${current.name}: ${current.message}`);
      if (!(current instanceof SolsticeError) && current.cause === undefined && current.stack) {
        lines.push(current.stack.split('\n').slice(1, 6).join('\n'));
      }
      current = current.cause;
    } else {
      lines.push(`${prefix}${String(current)}`);
      current = undefined;
    }
    prefix = '  caused by ';
  }
  return lines.join('\n');
}

/** First SIGINT/SIGTERM: stop the job after the splits in flight (exit 130); a second one exits at once. Returns what removes the handlers. */
function stopOnSignals(runner: { stop(options?: StopOptions): Promise<void> }, say: (line: string) => void): () => void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    say(`${signal}: stopping the job after the splits in flight (again to exit now)`);
    runner.stop({ reason: signal }).catch((error: unknown) => say(describeFailure(error)));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
