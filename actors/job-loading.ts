import { WorkflowModuleRequiredError } from '../lib/errors/index.js';
import type { JobGraph } from '../lib/job.js';
import { registeredJob } from '../lib/job-registry.js';
import type { JobSpec } from '../lib/job-spec.js';
import { createJobFromWorkflow } from '../lib/workflow-loader.js';

/** The job a spec names, as this process sees it. */
export async function loadJob(spec: JobSpec): Promise<JobGraph> {
  const local = spec.registryKey ? registeredJob(spec.registryKey) : undefined;
  if (local) return local;
  if (!spec.workflowModule) {
    throw new WorkflowModuleRequiredError(
      spec.jobId,
      `Job '${spec.jobId}' was built in another process and has no workflow module to rebuild it from; ` +
        'pass `workflowModule` to createRunner() to run actors outside the creating process',
    );
  }
  return createJobFromWorkflow(spec.workflowModule, spec.jobId, spec.config);
}
