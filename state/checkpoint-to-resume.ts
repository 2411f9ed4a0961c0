import { SolsticeError } from '../lib/errors.js';
import type { RestoreRequest } from '../lib/job-spec.js';
import type { CheckpointManifest } from './checkpoint-manifest.js';
import type { CheckpointStore } from './checkpoint-store.js';

/**
 * The checkpoint a run resumes from. `auto` resumes an unfinished job from its
 * latest checkpoint and starts a completed one over.
 */
export async function checkpointToResume(store: CheckpointStore, request: RestoreRequest): Promise<CheckpointManifest | undefined> {
  if (request === 'none') return undefined;
  const latest = await store.latest();
  if (request === 'auto') return latest && !latest.final ? latest : undefined;
  if (request === 'latest') {
    if (!latest) throw new SolsticeError(`Job '${store.jobId}' has no completed checkpoint in ${store.backend.url} to restore`);
    return latest;
  }
  if (latest && request < latest.checkpointId) {
    throw new SolsticeError(
      `Checkpoint ${request} is older than the latest (${latest.checkpointId}): sinks would have to take back output committed since; ` +
        'restore the latest, or start over',
    );
  }
  return store.load(request);
}
