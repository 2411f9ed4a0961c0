import { randomUUID } from 'node:crypto';
import type { JobGraph } from './job.js';

/**
 * Jobs created in this process, for actors that run in the same process: they
 * use the very Job object (and the closures in its stages) the user built.
 */
const jobs = new Map<string, JobGraph>();

export function registerJob(job: JobGraph): string {
  const key = `${job.jobId}:${randomUUID()}`;
  jobs.set(key, job);
  return key;
}

export function registeredJob(key: string): JobGraph | undefined {
  return jobs.get(key);
}

export function unregisterJob(key: string): void {
  jobs.delete(key);
}
