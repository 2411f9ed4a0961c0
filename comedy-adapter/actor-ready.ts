import type { SerializedError } from '../lib/errors/index.js';

/**
 * The first message an actor process sends its parent on a cluster, once its
 * actor has initialized (or failed to). Comedy's remote mode answers
 * `createChild()` before the remote actor initializes, and requests to an
 * actor whose initialization threw were never answered; with this the job's
 * side waits, and a failure (a workflow module missing on that host) fails
 * the job with its cause, as a forked worker's does.
 */
export const ACTOR_READY = 'solstice-actor-ready';
export const ACTOR_FAILED = 'solstice-actor-failed';

export type ActorReadiness = { type: typeof ACTOR_READY } | { type: typeof ACTOR_FAILED; error: SerializedError };
