import type { SerializedError } from '../lib/errors/index.js';

/**
 * How likely an error is the root cause of a failed job rather than a consequence of another
 * failure: a stage stopped because another failed reports JobStoppedError; a worker that could
 * not fetch its input from a lost worker's process reports PayloadUnavailableError, and one whose
 * input its producer's stage had already dropped, stopping for a failure of its own, reports
 * PayloadFetchError.
 */
function rootCauseRank(error: SerializedError): number {
  if (error.name === 'JobStoppedError') return 0;
  if (error.name === 'PayloadUnavailableError' || error.name === 'PayloadFetchError') return 1;
  return 2;
}

/** The error to report of two: the later one only if it is more likely the root cause. */
export function rootCause(current: SerializedError | undefined, candidate: SerializedError): SerializedError {
  if (!current) return candidate;
  return rootCauseRank(candidate) > rootCauseRank(current) ? candidate : current;
}
