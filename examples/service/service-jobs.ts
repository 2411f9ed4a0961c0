import { JobStoppedError, type JobSummary } from '../../lib/index.js';
import { errorJson, type ErrorJson } from './error-json.js';

/** How a job the service started ended: what it answers for the job once `listJobs()` no longer lists it. */
export interface EndedJob {
  jobId: string;
  workflow: string;
  state: 'finished' | 'failed' | 'stopped';
  /** ms since the epoch. */
  startedAt: number;
  endedAt: number;
  /** What `run()` resolved with, when it finished. */
  summary?: JobSummary;
  /** What `run()` rejected with, when it failed or was stopped. */
  error?: ErrorJson;
}

/** A job the service started, while it runs. */
interface StartedJob {
  workflow: string;
  controller: AbortController;
  /** Settles once the run has settled and its outcome is kept. */
  settled: Promise<void>;
}

/**
 * The jobs this service started: while each runs, the AbortController its
 * `run()` was given (closing the service aborts them); once it has ended,
 * its outcome, the newest `keep` of them.
 */
export class ServiceJobs {
  private readonly running = new Map<string, StartedJob>();
  private readonly ended = new Map<string, EndedJob>();

  constructor(private readonly keep: number) {}

  /** Follows a run the job registry has accepted (at `startedAt`, as `listJobs()` says), until it settles. */
  add(jobId: string, workflow: string, startedAt: number, run: Promise<JobSummary>, controller: AbortController): void {
    const end = (outcome: Pick<EndedJob, 'state' | 'summary' | 'error'>) => {
      if (this.running.get(jobId) === started) this.running.delete(jobId);
      this.ended.delete(jobId);
      this.ended.set(jobId, { jobId, workflow, startedAt, endedAt: Date.now(), ...outcome });
      for (const oldest of this.ended.keys()) {
        if (this.ended.size <= this.keep) break;
        this.ended.delete(oldest);
      }
    };
    const settled = run.then(
      (summary) => end({ state: 'finished', summary }),
      (error: unknown) => end({ state: error instanceof JobStoppedError ? 'stopped' : 'failed', error: errorJson(error) }),
    );
    const started: StartedJob = { workflow, controller, settled };
    this.running.set(jobId, started);
  }

  isRunning(jobId: string): boolean {
    return this.running.has(jobId);
  }

  /** The workflow the service ran job `jobId` from; undefined for a job it did not start. */
  workflowOf(jobId: string): string | undefined {
    return this.running.get(jobId)?.workflow ?? this.ended.get(jobId)?.workflow;
  }

  endedJob(jobId: string): EndedJob | undefined {
    return this.ended.get(jobId);
  }

  /** The outcomes kept, oldest first. */
  endedJobs(): EndedJob[] {
    return [...this.ended.values()];
  }

  /** Aborts every running job's signal with `reason`; resolves once every run has settled and its outcome is kept. */
  async abortAll(reason: string): Promise<void> {
    const running = [...this.running.values()];
    for (const job of running) job.controller.abort(reason);
    await Promise.all(running.map((job) => job.settled));
  }
}
