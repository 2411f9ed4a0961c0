import { join, resolve } from 'node:path';
import { EventEmitter } from 'node:events';
import { attachToActorSystem, startActorSystem, type ActorSystem } from '../comedy-adapter/index.js';
import type { MetaServiceApi } from '../protocol/actor-apis.js';
import type { ChildActor } from '../protocol/actor-link.js';
import type { JobOutcome, JobStatus, MetaServiceParams } from '../protocol/job-status.js';
import { crossesProcesses, validatePlacement } from '../actors/placement.js';
import { DEFAULT_PLACEMENT, masterPlacementOf, type PlacementConfig } from '../lib/placement-config.js';
import type { Heartbeats } from '../actors/heartbeats.js';
import { superviseMaster } from '../actors/master-supervision.js';
// Imported, not loaded when needed: Comedy require()s the actor modules, which import this one too, and a require of a
// module that an import is still loading fails inside Node's loader.
import { prepareDeadLetterTable } from '../actors/lance-dead-letters.js';
import { reserveExitListeners } from '../actors/exit-listeners.js';
import {
  ArgumentError, CheckpointError, JobStoppedError, OperatorConfigError, MasterLostError, PayloadUnavailableError, RunnerStateError, SupervisionError, WorkerLostError,
  WorkflowModuleRequiredError, deserializeError, serializeError,
} from '../lib/errors/index.js';
import { CheckpointStore } from '../state/checkpoint-store.js';
import { checkpointToResume } from '../state/checkpoint-to-resume.js';
import { absoluteStateLocation, defaultStateLocation, openStateBackend } from '../state/open-state-backend.js';
import { DEFAULT_RETAINED_RUNS, type DeadLetterOptions, type JobGraph } from '../lib/job.js';
import { registerJob, unregisterJob } from '../lib/job-registry.js';
import type { DeadLetterLocation, JobSpec, RestoreRequest } from '../lib/job-spec.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { refuseBadRecord } from '../lib/operator.js';
import { chainOf, explainChains, planChains, type StageChain } from '../lib/chaining.js';
import { RunRecordStore } from '../state/run-records.js';
import type { AttemptFailure, Dashboard, DashboardOptions, JobSummary, RunOptions, StopOptions, RunnerOptions, RunnerState, RunnerStatus, StageNode, StageSummary } from './runner-options.js';
import { serveDashboard } from './dashboard-server.js';
import { claimJobId } from './running-jobs.js';
import type { RunnerEvent, RunnerEventMap } from './runner-events.js';
import { eventIterator } from './event-iterator.js';
import { DEFAULT_EVENT_INTERVAL_MS, StatusWatcher } from './status-watcher.js';
import { AttemptRecorder, describePlacement, type AttemptStart } from './attempt-recorder.js';
import { RunIncidents } from './run-incidents.js';
import { resolveSupervision, RestartBudget, type ResolvedSupervision } from '../lib/supervision.js';
import type { WorkerHost } from '../lib/placement-config.js';
import { setClusterSecret } from '../cluster/shared-secret.js';
import { MasterHostPicker } from '../cluster/master-hosts.js';
import { liveHosts } from '../cluster/worker-hosts.js';

/**
 * Runs a job on an actor system it owns: `initialize()` builds the actors,
 * `run()` drives the job to its end and then shuts the actors down.
 */
export class JobRunner extends EventEmitter<RunnerEventMap> {
  private system: ActorSystem | undefined;
  private metaService: ChildActor<MetaServiceApi> | undefined;
  private registryKey: string | undefined;
  private runState: RunnerState = 'created';
  private lastStatus: JobStatus | undefined;
  private stopRequested = false;
  /** What `stop()` was given (an aborted signal's reason). */
  private stopReason: unknown;
  /** The checkpoint a draining stop took. */
  private drainCheckpoint: number | undefined;
  /** Restarts after a lost worker in the current `run()`. */
  private restarts = 0;
  /** What went wrong in the current `run()`: failed attempts, workers lost in earlier attempts. */
  private incidents = new RunIncidents();
  /** The stages as the status draws them ({@link stageGraph}). */
  private graph: StageNode[] | undefined;

  private restore: RestoreRequest;
  /** The losses of this run so far, by stage: job restarts and workers replaced. */
  private budget: RestartBudget | undefined;
  private readonly log: Logger;
  private releaseExitListeners: (() => void) | undefined;
  /** Settles with the MetaService's loss, if its thread or process ends. */
  private metaServiceLost: Promise<MasterLostError> | undefined;
  private metaServiceHeartbeats: Heartbeats | undefined;
  /** Where the current attempt resumed and numbers its checkpoints, as its MetaService said. */
  private attempt: { resumedFrom?: number; firstCheckpointId: number } | undefined;

  constructor(readonly job: JobGraph, private readonly options: RunnerOptions = {}) {
    super();
    job.validate();
    this.restore = options.restore ?? 'auto';
    this.log = createLogger(options, { actor: 'JobRunner', job: job.jobId });
  }

  /** Where the runner is: `created`, `initialized`, `running`, `finished`, `failed` or `stopped`. */
  get state(): RunnerState {
    return this.runState;
  }

  /** Where dead letters go, when a stage of the job writes them. */
  get deadLetter(): JobSpec['deadLetter'] {
    const writes = this.job.stageNames.some((name) => this.job.getStage(name).options.onError === 'dead-letter');
    if (!writes) return undefined;
    return deadLetterLocation(this.job.options.deadLetter, this.options.deadLetter, this.job.jobId);
  }

  /** Where this job's checkpoints live. */
  get stateLocation(): string {
    return this.options.stateBackend ?? this.job.options.stateBackend ?? defaultStateLocation();
  }

  private placement(): PlacementConfig {
    const { cluster } = this.options;
    if (!cluster) return this.options.placement ?? DEFAULT_PLACEMENT;
    setClusterSecret(cluster.secret);
    return { ...this.options.placement, Worker: this.options.placement?.Worker ?? { mode: 'remote' }, hosts: cluster.hosts };
  }

  /**
   * The plan: the job's stages fused into chains (docs/architecture.md#operator-fusion),
   * each with its parallelism and where its workers run, and why adjacent
   * chains are not fused. What `solstice-node run --explain` prints.
   */
  explain(): string {
    return explainChains(this.job, validatePlacement(this.placement(), this.job.stageNames));
  }

  /** Creates the actors: MetaService, GlobalStateMaster, a StageMaster per chain of stages and their workers. */
  async initialize(): Promise<void> {
    if (this.runState !== 'created') return;
    const placement = validatePlacement(this.placement(), this.job.stageNames);
    checkOperatorConfigs(this.job);
    if (crossesProcesses(placement, this.job.stageNames) && !this.options.workflowModule) {
      throw new WorkflowModuleRequiredError(
        this.job.jobId,
        `Job '${this.job.jobId}': workers and masters outside this process rebuild the job from its workflow module; ` +
          'pass `workflowModule` (the path of the module exporting createJob) to createRunner(), or run every actor in-process',
      );
    }
    // Before any actor starts: a state location that cannot be reached, or a checkpoint to resume whose manifest is damaged, fails here.
    await checkpointToResume(new CheckpointStore(openStateBackend(this.stateLocation), this.job.jobId), this.restore);
    const deadLetter = this.deadLetter;
    if (deadLetter?.format === 'lance') await prepareDeadLetterTable(deadLetter);
    this.registryKey = registerJob(this.job);
    const metaServicePlace = masterPlacementOf(placement, 'MetaService');
    this.releaseExitListeners = reserveExitListeners(metaServicePlace.mode === 'forked' ? 1 : 0);
    const spec: JobSpec = {
      jobId: this.job.jobId,
      workflowModule: this.options.workflowModule,
      config: this.options.config ?? {},
      registryKey: this.registryKey,
      logLevel: this.options.logLevel,
      logFormat: this.options.logFormat,
      // Actors in other processes and on other hosts open it too: a relative path would mean their working directory.
      stateLocation: absoluteStateLocation(this.stateLocation),
      restore: this.restore,
      ...(this.deadLetter ? { deadLetter: this.deadLetter } : {}),
    };
    const params: MetaServiceParams = { spec, placement, recentLosses: this.budget?.snapshot() };
    this.system = this.options.system ? attachToActorSystem(this.options.system) : startActorSystem();
    try {
      const metaService = await this.system.createActor('MetaService', {
        mode: metaServicePlace.mode, name: 'MetaService', params, ...(await this.metaServiceHost(placement)),
      });
      this.metaService = metaService;
      this.metaServiceLost = this.superviseMetaService(metaService);
      this.attempt = await metaService.ask('attempt');
    } catch (error) {
      await this.shutdown();
      throw error;
    }
    this.runState = 'initialized';
  }

  /**
   * Runs the job to its end. A lost worker restarts the job from its last
   * completed checkpoint, as the stage's supervision policy allows. Rejects
   * with the first error (an OperatorError names stage and split; a
   * SupervisionError the stage whose workers kept failing); with
   * JobStoppedError, carrying the abort reason, when `signal` aborts. Emits
   * the {@link RunnerEventMap} events meanwhile, `done` last.
   */
  async run(options: RunOptions = {}): Promise<JobSummary> {
    const { signal } = options;
    const release = claimJobId(this, absoluteStateLocation(this.stateLocation));
    const watcher = new StatusWatcher(this, this.options.eventIntervalMs ?? DEFAULT_EVENT_INTERVAL_MS, this.log);
    const abort = () => {
      this.stop({ reason: signal!.reason }).catch((error: unknown) => this.log.error({ err: error }, 'could not stop the job its signal aborted'));
    };
    if (signal?.aborted) abort();
    else signal?.addEventListener('abort', abort, { once: true });
    try {
      const summary = await this.runAttempts(watcher);
      await watcher.stop();
      this.emit('done', { outcome: 'finished', summary });
      return summary;
    } catch (thrown) {
      await watcher.stop();
      const error = this.withStopReason(thrown);
      this.emit('done', { outcome: error instanceof JobStoppedError ? 'stopped' : 'failed', error });
      throw error;
    } finally {
      signal?.removeEventListener('abort', abort);
      release();
    }
  }

  /** A JobStoppedError carries what the stop was given (the signal's reason) and the checkpoint a draining stop took. */
  private withStopReason(thrown: unknown): Error {
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    if (!(error instanceof JobStoppedError) || (this.stopReason === undefined && this.drainCheckpoint === undefined)) return error;
    const drained = this.drainCheckpoint === undefined ? '' : `; it resumes from checkpoint ${this.drainCheckpoint}, which holds all it had read before the stop`;
    return new JobStoppedError(`${error.message}${drained}`, { reason: this.stopReason, checkpointId: this.drainCheckpoint, cause: error });
  }

  private async runAttempts(watcher: StatusWatcher): Promise<JobSummary> {
    await this.initialize();
    if (this.runState !== 'initialized') throw new RunnerStateError('run', this.runState, `run() needs an initialized runner, this one is ${this.runState}`);
    const started = Date.now();
    const budget = new RestartBudget();
    this.budget = budget;
    let restarts = 0;
    this.restarts = 0;
    this.incidents = new RunIncidents();
    let workersReplaced = 0;
    let resumedFrom: number | undefined;
    // Each attempt leaves a run record in the state location (docs/observability.md#job-history).
    const recorder = new AttemptRecorder(
      new RunRecordStore(openStateBackend(this.stateLocation), this.job.jobId),
      this.job.options.retainRuns ?? DEFAULT_RETAINED_RUNS,
      describePlacement(validatePlacement(this.placement(), this.job.stageNames), this.job.stageNames),
      this.log,
    );
    for (;;) {
      await recorder.started(() => this.attemptStart());
      if (this.stopRequested) {
        this.runState = 'stopped';
        await this.shutdown();
        const stopped = new JobStoppedError(`Job '${this.job.jobId}' was stopped ${restarts > 0 ? 'while it restarted' : 'before it ran'}`);
        this.failed(stopped, 'stopped');
        await recorder.ended('stopped', undefined, stopped);
        throw stopped;
      }
      this.runState = 'running';
      watcher.start();
      let outcome: JobOutcome;
      try {
        // A MetaService that is lost never answers; its loss is the attempt's outcome.
        const ran: Promise<JobOutcome | MasterLostError> = this.metaService!.ask('runJob');
        const ended = await Promise.race([ran, this.metaServiceLost!]);
        if (ended instanceof MasterLostError) {
          this.log.error({ err: ended }, 'MetaService lost');
          outcome = { stages: this.lastStatus?.stages ?? [], wallTimeMs: Date.now() - started, error: serializeError(ended), ...this.attempt! };
        } else {
          outcome = ended;
          this.lastStatus = await this.metaService!.ask('status');
          // Workers replaced during the attempt took from their stage's budget, as restarts do.
          for (const stage of outcome.stages) {
            budget.record(stage.stage, stage.replacedAt ?? []);
            workersReplaced += stage.replacedAt?.length ?? 0;
          }
        }
        this.log.debug({ error: outcome.error?.message }, 'job attempt ended; shutting its actors down');
      } catch (error) {
        this.failed(error, 'failed');
        await recorder.ended('failed', undefined, error);
        throw error;
      } finally {
        await this.shutdown();
      }
      resumedFrom ??= outcome.resumedFrom;
      const summary = this.summaryOf(outcome, { wallTimeMs: restarts === 0 ? outcome.wallTimeMs : Date.now() - started, resumedFrom, restarts, workersReplaced });
      if (!outcome.error) {
        this.runState = 'finished';
        await recorder.ended('completed', summary);
        return recorder.withWarnings(summary);
      }
      const error = deserializeError(outcome.error);
      if (!this.stopRequested && isWorkerLoss(error)) {
        const { stage, policy } = this.lossPolicy(error as WorkerLostError | MasterLostError | PayloadUnavailableError);
        const { allowed, failures } = budget.take(stage, policy);
        if (allowed) {
          this.failed(error, 'restarted');
          this.incidents.attemptEnded(outcome.stages);
          await recorder.ended('failed', summary, error);
          restarts++;
          this.restarts = restarts;
          this.restore = await this.restartPoint(outcome);
          this.log.warn(
            { err: error, stage, restart: restarts, restore: this.restore, failures, maxRestarts: policy.maxRestarts, withinSecs: policy.withinSecs },
            'worker lost; restarting the job from its last completed checkpoint',
          );
          this.runState = 'created';
          await this.initialize();
          continue;
        }
        this.runState = 'failed';
        const exhausted = new SupervisionError(stage, (error as WorkerLostError).splitId, failures, policy.withinSecs, error);
        this.failed(exhausted, 'failed');
        await recorder.ended('failed', summary, exhausted);
        throw exhausted;
      }
      const stopped = error.name === 'JobStoppedError';
      this.runState = stopped ? 'stopped' : 'failed';
      this.failed(error, stopped ? 'stopped' : 'failed');
      await recorder.ended(stopped ? 'stopped' : 'failed', summary, error);
      throw error;
    }
  }

  private failed(error: unknown, answer: AttemptFailure['answer']): void {
    this.emit('failure', this.incidents.attemptFailed(this.restarts + 1, error, answer));
  }

  /** The run the attempt just initialized belongs to, as its MetaService decided, and where it resumed. */
  private async attemptStart(): Promise<AttemptStart> {
    const { run } = await this.metaService!.ask('status');
    if (!run) throw new Error(`the MetaService of job '${this.job.jobId}' reported no run`);
    return { runId: run.id, resumedFrom: this.attempt!.resumedFrom, firstCheckpointId: this.attempt!.firstCheckpointId };
  }

  /** What `run()` resolves with, of an attempt's outcome; also what the attempt's run record keeps. */
  private summaryOf(outcome: JobOutcome, run: Pick<JobSummary, 'wallTimeMs' | 'resumedFrom' | 'restarts' | 'workersReplaced'>): JobSummary {
    const deadLetters = this.deadLetter ? { path: this.deadLetter.path, count: outcome.stages.reduce((sum, stage) => sum + (stage.deadLetters ?? 0), 0) } : undefined;
    return {
      jobId: this.job.jobId, wallTimeMs: run.wallTimeMs, stages: outcome.stages, resumedFrom: run.resumedFrom, restarts: run.restarts, workersReplaced: run.workersReplaced,
      warnings: [...errorOutputWarnings(this.job, outcome.stages), ...badRecordWarnings(outcome.stages, this.deadLetter)],
      ...(deadLetters ? { deadLetters } : {}),
    };
  }

  /**
   * Watches a MetaService in a thread, process or host of its own: its end,
   * or a heartbeat left unanswered for the job's timeout (then it is killed),
   * is the loss the returned promise settles with.
   */
  private superviseMetaService(metaService: ChildActor<MetaServiceApi>): Promise<MasterLostError> {
    const { heartbeatTimeoutSecs } = resolveSupervision(this.job.options.supervision, undefined);
    return new Promise((resolve) => {
      this.metaServiceHeartbeats = superviseMaster(metaService, heartbeatTimeoutSecs * 1000, this.log.child({ master: 'MetaService' }), (how) => {
        resolve(new MasterLostError('MetaService', undefined, how));
      });
    });
  }

  /** Where a remote MetaService runs: on the host its placement names, else on the first host that answers now. */
  private async metaServiceHost(placement: PlacementConfig): Promise<Partial<WorkerHost>> {
    const placed = masterPlacementOf(placement, 'MetaService');
    if (placed.mode !== 'remote') return {};
    const hosts = placement.hosts ?? [];
    return new MasterHostPicker(await liveHosts(hosts, this.log), hosts).place('MetaService', placed);
  }

  /** Where a restarted job resumes: the latest checkpoint this run completed, else where the run started. */
  private async restartPoint(outcome: JobOutcome): Promise<RestoreRequest> {
    const latest = await new CheckpointStore(openStateBackend(this.stateLocation), this.job.jobId).latest();
    if (latest && latest.checkpointId >= outcome.firstCheckpointId) return latest.checkpointId;
    return outcome.resumedFrom ?? 'none';
  }

  /** The job's state and per-stage figures, its checkpoints and restarts, while it runs and after. */
  async status(): Promise<RunnerStatus> {
    const status = this.metaService && this.runState === 'running' ? await this.metaService.ask('status') : this.lastStatus;
    return {
      runner: this.runState,
      restarts: this.restarts,
      failures: this.incidents.failures,
      jobId: this.job.jobId,
      state: status?.state ?? 'initialized',
      stages: this.incidents.withEarlierLosses(status?.stages ?? []),
      sources: status?.sources ?? { splitsDone: 0, records: 0 },
      ...(status?.run ? { run: status.run } : {}),
      ...(status?.checkpoints ? { checkpoints: status.checkpoints } : {}),
      graph: this.stageGraph(),
    };
  }

  /**
   * The stages, their upstreams and chains, planned as `run()` plans them.
   * A placement that does not validate fails `run()`, not the status: its
   * stages are then drawn unfused.
   */
  private stageGraph(): StageNode[] {
    // The job and its placement do not change: planned once.
    if (this.graph) return this.graph;
    let chains: StageChain[] | undefined;
    try {
      chains = planChains(this.job, validatePlacement(this.placement(), this.job.stageNames));
    } catch {
      chains = undefined;
    }
    this.graph = this.job.stageNames.map((stage) => ({
      stage,
      upstreams: [...this.job.upstreamsOf(stage)],
      chain: chains ? [...chainOf(chains, stage).stages] : [stage],
    }));
    return this.graph;
  }

  /**
   * Serves the job's metrics (Prometheus text format at `/metrics`), its
   * status (`/api/status`) and a stream of it (`/api/events`) over HTTP, on
   * 127.0.0.1 and any free port by default (docs/observability.md#dashboard-server).
   * It answers with the final figures after the job has ended, until closed:
   * the caller closes it.
   */
  serveDashboard(options: DashboardOptions = {}): Promise<Dashboard> {
    return serveDashboard(this, options);
  }

  /** The runner's events as an async iterator, from now until `done`: `for await (const event of runner.events())`. */
  events(): AsyncIterableIterator<RunnerEvent> {
    return eventIterator(this);
  }

  /** Per-stage figures (splits, rows, buffering). */
  async metrics(): Promise<StageSummary[]> {
    return (await this.status()).stages;
  }

  /**
   * Stops the job; `run()` then rejects with JobStoppedError, carrying
   * `reason`. By default it cancels: the splits in flight end, and what the
   * job wrote since its last completed checkpoint stays uncommitted (never
   * visible; a resume redoes it). With `drain`, the sources first stop
   * reading new splits, and a checkpoint is taken and committed: everything
   * read before the stop lands in the outputs, nothing is read only to be
   * read again, and the job resumes from that checkpoint
   * (`JobStoppedError.checkpointId`).
   * Called before the job runs, `run()` rejects at once.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    this.stopRequested = true;
    if (options.reason !== undefined) this.stopReason ??= options.reason;
    const metaService = this.metaService;
    if (this.runState !== 'running' || !metaService) return;
    if (options.drain) {
      try {
        await metaService.ask('holdSources');
        this.drainCheckpoint = await metaService.ask('triggerCheckpoint');
      } catch (error) {
        this.log.warn({ err: error }, 'the draining stop could not take its checkpoint; the job stops at its last completed one');
      }
    }
    if (this.metaService === metaService && this.runState === 'running') await metaService.ask('stop');
  }

  /** Takes a checkpoint of the running job now; resolves with its id once it is complete. */
  async triggerCheckpoint(): Promise<string> {
    if (this.runState !== 'running') throw new CheckpointError(`triggerCheckpoint() needs a running job; this one is ${this.runState}`);
    return String(await this.metaService!.ask('triggerCheckpoint'));
  }

  /** Ids of the job's completed checkpoints in its state location, oldest first. */
  async listCheckpoints(): Promise<string[]> {
    return (await new CheckpointStore(openStateBackend(this.stateLocation), this.job.jobId).list()).map(String);
  }

  /** Makes the next `run()` resume from checkpoint `id` (or `'latest'`). */
  async restoreFromCheckpoint(id: string): Promise<void> {
    if (this.runState !== 'created') {
      throw new RunnerStateError('restoreFromCheckpoint', this.runState, `restoreFromCheckpoint() must come before initialize() or run(); this runner is ${this.runState}`);
    }
    const request: RestoreRequest = id === 'latest' ? 'latest' : Number(id);
    if (request !== 'latest' && !(Number.isInteger(request) && request > 0)) throw new ArgumentError('id', id, `'${id}' is not a checkpoint id`);
    const store = new CheckpointStore(openStateBackend(this.stateLocation), this.job.jobId);
    await checkpointToResume(store, request);
    this.restore = request;
  }

  /**
   * Whose restarts a loss counts against: a stage's (a lost worker, its
   * master, or output that could not be fetched from it), or, for the
   * MetaService and the GlobalStateMaster, the job's own policy.
   */
  private lossPolicy(error: WorkerLostError | MasterLostError | PayloadUnavailableError): { stage: string; policy: ResolvedSupervision } {
    if (error instanceof MasterLostError && error.stage === undefined) {
      return { stage: error.master, policy: resolveSupervision(this.job.options.supervision, undefined) };
    }
    const stage = error.stage!;
    return { stage, policy: this.job.supervisionOf(stage) };
  }

  private async shutdown(): Promise<void> {
    this.releaseExitListeners?.();
    this.releaseExitListeners = undefined;
    const system = this.system;
    this.system = undefined;
    this.metaService = undefined;
    this.metaServiceLost = undefined;
    this.metaServiceHeartbeats?.stop();
    this.metaServiceHeartbeats = undefined;
    if (this.registryKey) unregisterJob(this.registryKey);
    if (system) await system.destroy();
  }
}

/** Errors that mean a worker's process or thread was lost, not that the job's code or data failed. */
function isWorkerLoss(error: Error): boolean {
  return error instanceof WorkerLostError || error instanceof MasterLostError || error instanceof PayloadUnavailableError;
}

/** A warning for each errors output (StageOptions.errorOutput) that took records. */
function errorOutputWarnings(job: JobGraph, stages: readonly StageSummary[]): string[] {
  return stages.flatMap((stage) => {
    if (!job.getStage(stage.stage).options.errorOutput || stage.rowsIn === 0) return [];
    const samples = stage.errorSamples?.map((sample) => `\n  ${sample}`).join('') ?? '';
    return [`${stage.rowsIn} record(s) failed and went to the errors output '${stage.stage}'${stage.rowsIn > (stage.errorSamples?.length ?? 0) ? '; the first' : ''}:${samples}`];
  });
}

/**
 * Where a job's dead letters go: the runner's `deadLetter` (the CLI's
 * `--dead-letter`), else the Job's, else `dead-letters/<jobId>`; a Lance
 * table when the location ends in `.lance` or the format says so. Only a
 * Lance table may be on an object store: the files of the other formats are
 * written by FileSink, to a folder.
 */
function deadLetterLocation(option: DeadLetterOptions | undefined, override: string | undefined, jobId: string): DeadLetterLocation {
  const given = override ?? option?.uri ?? option?.path ?? join('dead-letters', jobId);
  // The Job's format is its location's: a location given instead that does not end in .lance is a folder.
  const declared = override !== undefined && option?.format === 'lance' ? undefined : option?.format;
  const format = /\.lance\/?$/.test(given) ? 'lance' : declared ?? 'jsonl';
  const remote = /^[a-z][a-z0-9+.-]*:\/\//i.test(given);
  if (remote && format !== 'lance') {
    throw new ArgumentError('deadLetter', given, `Dead letters at '${given}' must go to a Lance table (a URI ending in .lance): files of format ${format} go to a local folder`);
  }
  return { path: remote ? given : resolve(given), format, ...(option?.storageOptions ? { storageOptions: option.storageOptions } : {}) };
}

/** A warning for each stage that skipped bad records or wrote them to the dead letters. */
function badRecordWarnings(stages: readonly StageSummary[], deadLetter: DeadLetterLocation | undefined): string[] {
  const where = (stage: string) => (deadLetter?.format === 'lance' ? `Lance table ${deadLetter.path} (stage = '${stage}')` : join(deadLetter!.path, stage));
  return stages.flatMap((stage) => [
    ...(stage.recordsSkipped ? [`${stage.recordsSkipped} bad record(s) skipped at stage '${stage.stage}'`] : []),
    ...(stage.deadLetters ? [`${stage.deadLetters} bad record(s) of stage '${stage.stage}' written to the dead letters in ${where(stage.stage)}`] : []),
  ]);
}

/**
 * Builds each stage's operator once, here, before any actor starts, so that
 * a config it refuses fails the job at once, naming the stage, and not in
 * each worker after the job has begun. Operators do their work in `open()`:
 * building one costs nothing.
 */
function checkOperatorConfigs(job: JobGraph): void {
  for (const name of job.stageNames) {
    const stage = job.getStage(name);
    const context = { jobId: job.jobId, stage: name, workerIndex: 0, parallelism: stage.bounds.min, logger: createLogger({ logLevel: 'silent' }), badRecord: refuseBadRecord };
    try {
      new stage.operator(stage.config, context);
    } catch (error) {
      if (error instanceof OperatorConfigError) throw new OperatorConfigError(`Stage '${name}': ${error.message}`, { cause: error });
      throw error;
    }
  }
}
