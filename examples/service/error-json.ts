import { JobStoppedError, SolsticeError } from '../../lib/index.js';

/** An error as the service answers with it: its class, message and fields, why a stopped job stopped, then its cause, and so on. */
export interface ErrorJson {
  name: string;
  message: string;
  /** The fields a framework error carries (`SolsticeError.details()`): file and line, stage, checkpoint id... */
  details?: Record<string, unknown>;
  /** What the stop of a stopped job was given (`JobStoppedError.reason`). */
  reason?: unknown;
  cause?: ErrorJson;
}

export function errorJson(error: unknown): ErrorJson {
  if (!(error instanceof Error)) return { name: typeof error, message: String(error) };
  const details = error instanceof SolsticeError ? error.details() : {};
  const reason = error instanceof JobStoppedError ? error.reason : undefined;
  return {
    name: error.name,
    message: error.message,
    ...(Object.keys(details).length > 0 ? { details } : {}),
    ...(reason === undefined ? {} : { reason: reason instanceof Error ? errorJson(reason) : reason }),
    ...(error.cause === undefined ? {} : { cause: errorJson(error.cause) }),
  };
}
