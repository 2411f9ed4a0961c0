/**
 * An HTTP service that runs jobs of the framework in its own process
 * (README.md): submit one, list and inspect them, follow one's events as
 * Server-Sent Events, checkpoint and stop it. It uses the package as any
 * application would, through its entry.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ArgumentError, JobRunner, SolsticeError, createJobFromWorkflow, getJob, listJobs,
  type DoneEvent, type JobControl, type LogLevel, type RunnerEvent,
} from '../../lib/index.js';
import { errorJson } from './error-json.js';
import { DuplicateJobError, JobNotRunningError, JobRefusedError, RequestError, RouteError, ServiceClosingError, UnknownJobError } from './request-errors.js';
import { openEventStream, writeEvent } from './server-sent-events.js';
import { ServiceJobs, type EndedJob } from './service-jobs.js';
import { readSubmission, type JobSubmission } from './submission.js';
import { WorkflowCatalog } from './workflow-catalog.js';

export interface ServiceOptions {
  /** Default 0: any free port (the URL says which). */
  port?: number;
  /** Default 127.0.0.1, this host only: the service runs jobs for whoever asks, so put authentication in front of it before opening it wider. */
  host?: string;
  /** Where the jobs' checkpoints live (a path or URL; each job's under its id); default the framework's, `.solstice/` in the working directory. */
  stateDir?: string;
  /** Workflow modules the service runs besides the built-in ones, by the name a submission gives: `{ orders: './flows/orders.js' }`. */
  workflows?: Record<string, string>;
  /** How many ended jobs' outcomes the service keeps to answer for; default 100. */
  keepEndedJobs?: number;
  /** How often a running job's `progress` event comes, in ms; default the runner's, 1000. */
  eventIntervalMs?: number;
  /** The framework's log level (JSON lines on stderr); default its own. */
  logLevel?: LogLevel;
}

/** A running service: where it listens, and how to close it. */
export interface Service {
  /** `http://host:port`. */
  readonly url: string;
  /**
   * Starts no more jobs, stops those it started through their AbortSignal
   * and waits for them to end (their event streams get `done`), then stops
   * listening.
   */
  close(): Promise<void>;
}

/** The reason the jobs still running when the service closes are stopped with. */
export const CLOSING_REASON = 'the service is closing';
const DEFAULT_KEEP_ENDED_JOBS = 100;

export async function startService(options: ServiceOptions = {}): Promise<Service> {
  const service = new JobService(options);
  const host = options.host ?? '127.0.0.1';
  const server = createServer((request, response) => void service.handle(request, response));
  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () => (closed ??= service.close(server)),
  };
}

/** An event stream being written, and whether the service started its job (closing the service ends that job, hence the stream). */
interface OpenStream {
  events: AsyncIterableIterator<RunnerEvent>;
  ownJob: boolean;
  written: Promise<void>;
}

class JobService {
  private readonly catalog: WorkflowCatalog;
  private readonly jobs: ServiceJobs;
  private readonly streams = new Set<OpenStream>();
  private closing = false;

  constructor(private readonly options: ServiceOptions) {
    this.catalog = new WorkflowCatalog(options.workflows);
    this.jobs = new ServiceJobs(options.keepEndedJobs ?? DEFAULT_KEEP_ENDED_JOBS);
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://service');
    try {
      await this.route(request, response, url);
    } catch (error) {
      answerError(request, response, error);
    }
  }

  private route(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const [root, jobId, action, ...rest] = pathSegments(url);
    if (root !== 'jobs' || rest.length > 0) throw new RouteError(404, `Nothing is served at ${url.pathname}; the jobs are at /jobs`);
    const method = request.method ?? 'GET';
    if (jobId === undefined) return on(method, { GET: () => this.list(response), POST: () => this.submit(request, response) });
    switch (action) {
      case undefined:
        return on(method, { GET: () => this.inspect(jobId, response), DELETE: () => this.stop(jobId, url, response) });
      case 'events':
        return on(method, { GET: () => this.follow(jobId, response) });
      case 'checkpoints':
        return on(method, { POST: () => this.checkpoint(jobId, response) });
      case 'stop':
        return on(method, { POST: () => this.stop(jobId, url, response) });
      default:
        throw new RouteError(404, `Nothing is served at ${url.pathname}; a job has /events, /checkpoints and /stop`);
    }
  }

  /** GET /jobs: the jobs running in this process (`listJobs()`), then the ended ones the service keeps. */
  private async list(response: ServerResponse): Promise<void> {
    const running = listJobs().map(({ jobId, state, startedAt }) => ({ jobId, workflow: this.jobs.workflowOf(jobId), state, startedAt, links: linksOf(jobId) }));
    const ended = this.jobs.endedJobs().filter((job) => !getJob(job.jobId)).map(({ jobId, workflow, state, startedAt, endedAt }) => ({
      jobId, workflow, state, startedAt, endedAt, links: linksOf(jobId),
    }));
    sendJson(response, 200, { jobs: [...running, ...ended] });
  }

  /** POST /jobs: builds the job its workflow describes and starts its run; 202 once the job registry has taken its id. */
  private async submit(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (this.closing) throw new ServiceClosingError();
    const submission = await readSubmission(request);
    const runner = await this.runnerFor(submission);
    if (this.closing) throw new ServiceClosingError();
    const { jobId, workflow } = submission;
    const controller = new AbortController();
    const run = runner.run({ signal: controller.signal });
    // run() takes the job's id in the registry before anything else, or rejects at once with ArgumentError.
    const registered = listJobs().find((job) => job.runner === runner);
    if (!registered) {
      const refused = await run.then(() => undefined, (error: unknown) => error);
      if (refused instanceof ArgumentError) throw new DuplicateJobError(jobId, refused);
      throw refused;
    }
    this.jobs.add(jobId, workflow, registered.startedAt, run, controller);
    response.setHeader('location', linksOf(jobId).self);
    sendJson(response, 202, { jobId, workflow, links: linksOf(jobId) });
  }

  /** The runner of the job a submission describes; JobRefusedError for what the framework refuses of it (workflow, config, stages). */
  private async runnerFor({ jobId, workflow, config, restore }: JobSubmission): Promise<JobRunner> {
    try {
      const workflowModule = this.catalog.modulePath(workflow);
      const job = await createJobFromWorkflow(workflowModule, jobId, config);
      return job.createRunner({
        workflowModule, config, restore, stateBackend: this.options.stateDir, eventIntervalMs: this.options.eventIntervalMs, logLevel: this.options.logLevel,
      });
    } catch (error) {
      if (error instanceof SolsticeError) throw new JobRefusedError(jobId, error);
      throw error;
    }
  }

  /** GET /jobs/:id: a running job's state and status (`runner.status()`), or how it ended. */
  private async inspect(jobId: string, response: ServerResponse): Promise<void> {
    const running = listJobs().find((job) => job.jobId === jobId);
    if (running) {
      const status = await running.runner.status();
      sendJson(response, 200, { jobId, workflow: this.jobs.workflowOf(jobId), state: running.runner.state, startedAt: running.startedAt, status, links: linksOf(jobId) });
      return;
    }
    sendJson(response, 200, { ...this.endedJob(jobId), links: linksOf(jobId) });
  }

  /**
   * GET /jobs/:id/events: the job's events from now, each an SSE event named
   * by its type with its data as JSON, until `done`; of a job that has
   * ended, its `done` alone.
   */
  private async follow(jobId: string, response: ServerResponse): Promise<void> {
    const runner = getJob(jobId);
    if (!runner) {
      const ended = this.endedJob(jobId);
      openEventStream(response);
      writeEvent(response, 'done', endedDone(ended));
      response.end();
      return;
    }
    // Subscribed before anything is awaited: no event of the job is missed between the request and the stream.
    const events = runner.events();
    openEventStream(response);
    response.on('close', () => void events.return?.());
    const stream: OpenStream = { events, ownJob: this.jobs.isRunning(jobId), written: writeEvents(events, response) };
    this.streams.add(stream);
    try {
      await stream.written;
    } finally {
      this.streams.delete(stream);
    }
  }

  /** POST /jobs/:id/checkpoints: takes a checkpoint now; 201 with its id once it is complete. */
  private async checkpoint(jobId: string, response: ServerResponse): Promise<void> {
    const runner = this.runningJob(jobId, 'a checkpoint');
    if (runner.state !== 'running') throw new JobNotRunningError(jobId, runner.state, 'a checkpoint');
    let checkpointId: string;
    try {
      checkpointId = await runner.triggerCheckpoint();
    } catch (error) {
      if (runner.state !== 'running') throw new JobNotRunningError(jobId, runner.state, 'a checkpoint', { cause: error });
      throw error;
    }
    sendJson(response, 201, { jobId, checkpointId, links: linksOf(jobId) });
  }

  /**
   * DELETE /jobs/:id and POST /jobs/:id/stop: stops the job, with `?drain=true`
   * after a checkpoint that commits all it has read, with `?reason=`; 202 once
   * the stop is under way (the job's `done` event tells when it has ended).
   */
  private async stop(jobId: string, url: URL, response: ServerResponse): Promise<void> {
    const runner = this.runningJob(jobId, 'a stop');
    const drain = drainOf(url);
    const reason = url.searchParams.get('reason') ?? 'stopped over HTTP';
    await runner.stop({ drain, reason });
    sendJson(response, 202, { jobId, stopping: true, drain, reason, links: linksOf(jobId) });
  }

  /** The runner of job `jobId`, running in this process; UnknownJobError, or JobNotRunningError for a job that has ended. */
  private runningJob(jobId: string, what: string): JobControl {
    const runner = getJob(jobId);
    if (runner) return runner;
    throw new JobNotRunningError(jobId, this.endedJob(jobId).state, what);
  }

  private endedJob(jobId: string): EndedJob {
    const ended = this.jobs.endedJob(jobId);
    if (!ended) throw new UnknownJobError(jobId);
    return ended;
  }

  async close(server: Server): Promise<void> {
    this.closing = true;
    const stopped = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    await this.jobs.abortAll(CLOSING_REASON);
    // The streams of the service's jobs end with their `done`; those of other jobs of the process end now.
    for (const stream of this.streams) if (!stream.ownJob) await stream.events.return?.();
    await Promise.all([...this.streams].map((stream) => stream.written));
    server.closeAllConnections();
    await stopped;
  }
}

/** Writes each event until the iterator ends (after `done`, or when the client has gone), then ends the response. */
async function writeEvents(events: AsyncIterableIterator<RunnerEvent>, response: ServerResponse): Promise<void> {
  for await (const event of events) writeEvent(response, event.type, event.type === 'done' ? doneJson(event.data) : event.data);
  response.end();
}

/** A `done` event's data: the summary, or the error as JSON (an Error's own JSON is `{}`). */
function doneJson(done: DoneEvent): unknown {
  return done.outcome === 'finished' ? done : { outcome: done.outcome, error: errorJson(done.error) };
}

/** The `done` event of a job that has ended, as it was sent when it ended. */
function endedDone({ state, summary, error }: EndedJob): unknown {
  return state === 'finished' ? { outcome: state, summary } : { outcome: state, error };
}

function on(method: string, handlers: Record<string, () => Promise<void>>): Promise<void> {
  const handler = handlers[method];
  const allowed = Object.keys(handlers);
  if (!handler) throw new RouteError(405, `${method} is not served here; ${allowed.join(' and ')} are`, allowed);
  return handler();
}

function pathSegments(url: URL): string[] {
  try {
    return url.pathname.split('/').filter((segment) => segment !== '').map(decodeURIComponent);
  } catch (error) {
    throw new RequestError(400, `The path ${url.pathname} is not well-formed: ${(error as Error).message}`, { cause: error });
  }
}

function drainOf(url: URL): boolean {
  const drain = url.searchParams.get('drain');
  if (drain === null || drain === 'false') return false;
  if (drain === 'true') return true;
  throw new RequestError(400, `?drain takes true or false, got '${drain}'`);
}

function linksOf(jobId: string): Record<'self' | 'events' | 'checkpoints' | 'stop', string> {
  const self = `/jobs/${encodeURIComponent(jobId)}`;
  return { self, events: `${self}/events`, checkpoints: `${self}/checkpoints`, stop: `${self}/stop` };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(`${JSON.stringify(body, null, 2)}\n`);
}

/**
 * The error as JSON with its status: a RequestError's own, else 500, which
 * is also written to stderr, as a failure of the service and not of the
 * request. Once an answer has begun (an event stream), it can only be cut.
 */
function answerError(request: IncomingMessage, response: ServerResponse, error: unknown): void {
  const status = error instanceof RequestError ? error.status : 500;
  if (status >= 500) process.stderr.write(`${request.method} ${request.url}: ${error instanceof Error ? error.stack : String(error)}\n`);
  if (response.headersSent) {
    response.destroy(error instanceof Error ? error : undefined);
    return;
  }
  if (error instanceof RouteError && error.allow) response.setHeader('allow', error.allow.join(', '));
  sendJson(response, status, { error: errorJson(error) });
}
