import { ArgumentError } from '../lib/errors/index.js';
import type { EventEmitter } from 'node:events';
import type { RunnerEvent, RunnerEventMap } from './runner-events.js';
import type { RunnerState, RunnerStatus, StopOptions } from './runner-options.js';

/** What the registry hands out of a running job's runner (a JobRunner): enough to inspect, follow, checkpoint and stop it. */
export interface JobControl extends EventEmitter<RunnerEventMap> {
  readonly job: { readonly jobId: string };
  readonly state: RunnerState;
  status(): Promise<RunnerStatus>;
  events(): AsyncIterableIterator<RunnerEvent>;
  triggerCheckpoint(): Promise<string>;
  stop(options?: StopOptions): Promise<void>;
}

/** A job running in this process, as `listJobs()` describes it. */
export interface RunningJob {
  jobId: string;
  state: RunnerState;
  /** When its `run()` began (ms since the epoch). */
  startedAt: number;
  runner: JobControl;
}

const running = new Map<string, { runner: JobControl; startedAt: number }>();

/**
 * The jobs whose `run()` has begun in this process and not yet settled
 * (docs/embedding.md#several-jobs): each with its runner, to inspect
 * (`status()`), checkpoint or stop.
 */
export function listJobs(): RunningJob[] {
  return [...running].map(([jobId, { runner, startedAt }]) => ({ jobId, state: runner.state, startedAt, runner }));
}

/** The runner of job `jobId` if it runs in this process. */
export function getJob(jobId: string): JobControl | undefined {
  return running.get(jobId)?.runner;
}

/**
 * Takes the job's id for the time its `run()` runs. A second job of the same
 * id at once in one process would share its checkpoints and outputs: it is
 * refused. Returns the release.
 */
export function claimJobId(runner: JobControl): () => void {
  const { jobId } = runner.job;
  const holder = running.get(jobId);
  if (holder && holder.runner !== runner) {
    throw new ArgumentError('jobId', jobId, `Job '${jobId}' is already running in this process; a job id runs once at a time (give the other run another id)`);
  }
  running.set(jobId, { runner, startedAt: Date.now() });
  return () => {
    if (running.get(jobId)?.runner === runner) running.delete(jobId);
  };
}
