import { randomUUID } from 'node:crypto';
import type { Job } from './job.js';

/**
 * Jobs created in this process, for actors that run in the same process: they
 * use the very Job object (and the closures in its stages) the user built.
 */
const jobs = new Map<string, Job>();

export function registerJob(job: Job): string {
  const key = `${job.jobId}:${randomUUID()}`;
  jobs.set(key, job);
  return key;
}

export function registeredJob(key: string): Job | undefined {
  return jobs.get(key);
}

export function unregisterJob(key: string): void {
  jobs.delete(key);
}
