/**
 * The errors the service answers a request with, each with its HTTP status.
 * The framework's own errors keep their class in the answer (error-json.ts);
 * the status for them is chosen where they are caught (server.ts).
 */

/** A request the service refuses, answered with `status` and this error as JSON. */
export class RequestError extends Error {
  override readonly name: string = 'RequestError';

  constructor(readonly status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The body is not JSON, or not a job submission: 400. */
export class RequestBodyError extends RequestError {
  override readonly name: string = 'RequestBodyError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(400, message, options);
  }
}

/** The workflow, its config or the job it builds is refused: 422, the framework's error as the cause. */
export class JobRefusedError extends RequestError {
  override readonly name: string = 'JobRefusedError';

  constructor(readonly jobId: string, cause: Error) {
    super(422, `Job '${jobId}' was not started: ${cause.message}`, { cause });
  }
}

/** A job of that id runs in this process already (the framework's ArgumentError is the cause): 409. */
export class DuplicateJobError extends RequestError {
  override readonly name: string = 'DuplicateJobError';

  constructor(readonly jobId: string, cause: Error) {
    super(409, cause.message, { cause });
  }
}

/** No job of that id runs in this process, and the service keeps no outcome of one: 404. */
export class UnknownJobError extends RequestError {
  override readonly name: string = 'UnknownJobError';

  constructor(readonly jobId: string) {
    super(404, `No job '${jobId}' runs in this process, and none of that id has ended here lately`);
  }
}

/** The job has ended, or not begun yet: it cannot take a checkpoint or be stopped now. 409. */
export class JobNotRunningError extends RequestError {
  override readonly name: string = 'JobNotRunningError';

  constructor(readonly jobId: string, readonly state: string, what: string, options?: { cause?: unknown }) {
    super(409, `Job '${jobId}' is not running (it is ${state}): ${what} needs a running job`, options);
  }
}

/** Nothing is served at that path (404), or not for that method (405, with the methods it takes). */
export class RouteError extends RequestError {
  override readonly name: string = 'RouteError';

  constructor(status: 404 | 405, message: string, readonly allow?: string[]) {
    super(status, message);
  }
}

/** The service is closing: it starts no job any more. 503. */
export class ServiceClosingError extends RequestError {
  override readonly name: string = 'ServiceClosingError';

  constructor() {
    super(503, 'The service is closing; it starts no more jobs');
  }
}
