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
  /** Where its checkpoints live (absolute). */
  stateLocation: string;
  state: RunnerState;
  /** When its `run()` began (ms since the epoch). */
  startedAt: number;
  runner: JobControl;
}

/** The running jobs, by state location and job id. */
const running = new Map<string, RunningJob>();
const keyOf = (jobId: string, stateLocation: string) => `${stateLocation}\n${jobId}`;

/**
 * The jobs whose `run()` has begun in this process and not yet settled
 * (docs/embedding.md#several-jobs-at-once): each with its runner, to inspect
 * (`status()`), checkpoint or stop.
 */
export function listJobs(): RunningJob[] {
  return [...running.values()].map((job) => ({ ...job, state: job.runner.state }));
}

/**
 * The runner of job `jobId` if it runs in this process. The same id may run
 * at once against two state locations: `stateLocation` then says which, and
 * without it the call is refused with ArgumentError.
 */
export function getJob(jobId: string, stateLocation?: string): JobControl | undefined {
  const matching = [...running.values()].filter((job) => job.jobId === jobId && (stateLocation === undefined || job.stateLocation === stateLocation));
  if (matching.length > 1) {
    throw new ArgumentError('jobId', jobId, `Job '${jobId}' runs against ${matching.length} state locations in this process (${matching.map((job) => job.stateLocation).join(', ')}); name one: getJob(jobId, stateLocation)`);
  }
  return matching[0]?.runner;
}

/**
 * Takes the job's id in its state location for the time its `run()` runs.
 * A second run of the same job there at once would write the same
 * checkpoints and outputs: it is refused. Returns the release.
 */
export function claimJobId(runner: JobControl, stateLocation: string): () => void {
  const { jobId } = runner.job;
  const key = keyOf(jobId, stateLocation);
  const holder = running.get(key);
  if (holder && holder.runner !== runner) {
    throw new ArgumentError('jobId', jobId, `Job '${jobId}' is already running in this process against the state location ${stateLocation}; a job runs once at a time there (give the other run another id or state location)`);
  }
  running.set(key, { jobId, stateLocation, state: runner.state, startedAt: Date.now(), runner });
  return () => {
    if (running.get(key)?.runner === runner) running.delete(key);
  };
}
