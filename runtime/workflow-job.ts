import { WorkflowNotFoundError } from '../lib/errors/index.js';
import { createJobFromWorkflow as buildWorkflowJob } from '../lib/workflow-loader.js';
import { Job } from './job.js';

/**
 * Builds the job a workflow module describes, from `config` checked against
 * the options it declares: a {@link Job}, whose `createRunner()` runs it.
 */
export async function createJobFromWorkflow(path: string, jobId: string, config: Record<string, unknown>): Promise<Job> {
  const job = await buildWorkflowJob(path, jobId, config);
  if (!(job instanceof Job)) throw new WorkflowNotFoundError(path, 'createJob returned a JobGraph, not a Job: build the job with `new Job(...)` from solstice-node');
  return job;
}
