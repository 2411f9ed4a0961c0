import { JobGraph } from '../lib/job.js';
import { JobRunner } from './runner.js';
import type { RunnerOptions } from './runner-options.js';

/** A job: the DAG of stages (see {@link JobGraph}) and the runner that executes it. */
export class Job extends JobGraph {
  createRunner(options: RunnerOptions = {}): JobRunner {
    return new JobRunner(this, options);
  }
}
