import { ArgumentError, JobStoppedError, SolsticeError } from '../lib/errors/index.js';
import type { LogLevel } from '../lib/logger.js';
import type { RestoreRequest } from '../lib/job-spec.js';
import { formatProgress, formatSummary } from '../runtime/progress-reporter.js';
import { JobRunner } from '../runtime/runner.js';
import { createJobFromWorkflow, resolveWorkflowPath } from '../lib/workflow-loader.js';
import type { WorkerMode } from '../lib/placement-config.js';
import { placementFromOptions } from './placement-option.js';
import { readClusterConfig } from '../cluster/cluster-config.js';

/** Options of `run` that are the command's own, not the workflow's config. */
export const RUN_OPTION_NAMES = new Set(['workflow', 'jobId', 'progressInterval', 'logLevel', 'stateBackend', 'state', 'restore', 'workers', 'placement', 'hosts', 'explain', 'deadLetter', 'failOnDeadLetters', 'help', 'version', 'h']);

export interface RunCommand {
  workflow: string;
  jobId: string;
  progressIntervalSecs: number;
  logLevel?: LogLevel;
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
}

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

/** `solstice-node run`: returns the process exit code. */
export async function runWorkflowCommand(command: RunCommand): Promise<number> {
  const started = Date.now();
  let progress: NodeJS.Timeout | undefined;
  try {
    const restore = parseRestore(command.restore);
    const workflowModule = resolveWorkflowPath(command.workflow);
    const job = await createJobFromWorkflow(workflowModule, command.jobId, command.config);
    // On a cluster, workers run on its hosts unless a placement file says more.
    const placement = command.clusterFile && !command.placementFile ? undefined : await placementFromOptions(command.workers, command.placementFile);
    const cluster = command.clusterFile ? await readClusterConfig(command.clusterFile) : undefined;
    const runner = new JobRunner(job, {
      workflowModule, config: command.config, logLevel: command.logLevel, stateBackend: command.stateBackend, restore, placement, cluster,
      ...(command.deadLetter === undefined ? {} : { deadLetter: command.deadLetter }),
    });
    if (command.explain) {
      process.stdout.write(`${runner.explain()}\n`);
      return 0;
    }
    await runner.initialize();
    stopOnSignals(runner);
    if (command.progressIntervalSecs > 0) {
      progress = setInterval(() => {
        runner.metrics().then(
          (stages) => process.stderr.write(`${formatProgress(Date.now() - started, stages)}\n`),
          (error: unknown) => process.stderr.write(`progress unavailable: ${(error as Error).message}\n`),
        );
      }, command.progressIntervalSecs * 1000);
    }
    const summary = await runner.run();
    process.stdout.write(`${formatSummary(summary)}\n`);
    if (summary.deadLetters && summary.deadLetters.count > 0) {
      process.stderr.write(`${summary.deadLetters.count} dead letter(s) in ${summary.deadLetters.path}\n`);
      if (command.failOnDeadLetters) return DEAD_LETTERS_EXIT_CODE;
    }
    return 0;
  } catch (error) {
    process.stderr.write(`${describeFailure(error)}\n`);
    return error instanceof JobStoppedError ? 130 : 1;
  } finally {
    if (progress) clearInterval(progress);
  }
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

/** First SIGINT/SIGTERM: stop the job after the splits in flight (exit 130); a second one exits at once. */
function stopOnSignals(runner: { stop(): Promise<void> }): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write(`${signal}: stopping the job after the splits in flight (again to exit now)\n`);
    runner.stop().catch((error: unknown) => process.stderr.write(`${describeFailure(error)}\n`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
