import { CheckpointCorruptError, CheckpointNotFoundError, CheckpointTooOldError } from '../lib/errors/index.js';
import type { RestoreRequest } from '../lib/job-spec.js';
import type { CheckpointManifest } from './checkpoint-manifest.js';
import type { CheckpointStore } from './checkpoint-store.js';

/**
 * The checkpoint a run resumes from. `auto` resumes an unfinished job from its
 * latest checkpoint and starts a completed one over.
 */
export async function checkpointToResume(store: CheckpointStore, request: RestoreRequest): Promise<CheckpointManifest | undefined> {
  if (request === 'none') return undefined;
  const latest = await latestBefore(store, request);
  if (request === 'auto') return latest && !latest.final ? latest : undefined;
  if (request === 'latest') {
    if (!latest) throw new CheckpointNotFoundError(store.jobId, 'latest', store.backend.url, []);
    return latest;
  }
  if (latest && request < latest.checkpointId) {
    throw new CheckpointTooOldError(request, latest.checkpointId);
  }
  return store.load(request);
}

/** The latest completed checkpoint; when a restore names an older one, a latest whose manifest is damaged does not stand in its way. */
async function latestBefore(store: CheckpointStore, request: RestoreRequest): Promise<CheckpointManifest | undefined> {
  try {
    return await store.latest();
  } catch (error) {
    if (!(error instanceof CheckpointCorruptError) || typeof request !== 'number' || request >= error.checkpointId) throw error;
    // Every checkpoint from the damaged one on is passed over; the named one must be sound.
    return undefined;
  }
}
