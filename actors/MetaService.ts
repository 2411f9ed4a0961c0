import type { ActorRef } from 'comedy';
import type { SerializedError } from '../lib/errors.js';
import { JobStoppedError, serializeError } from '../lib/errors.js';
import type { Job } from '../lib/job.js';
import type { JobSpec } from '../lib/job-spec.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { actorModulePath } from './actor-paths.js';
import type { SourceProgress } from './GlobalStateMaster.js';
import { loadJob } from './job-loading.js';
import type { StageMasterParams, StageMetrics, StageOutcome } from './messages.js';
import { workerModeOf, type PlacementConfig } from './placement.js';
import { requireClusterSecret } from '../cluster/shared-secret.js';
import { assignWorkerHosts, probeHosts, type WorkerHost } from '../cluster/worker-hosts.js';
import { CheckpointStore } from '../state/checkpoint-store.js';
import { openStateBackend } from '../state/open-state-backend.js';
import { checkpointToResume } from '../state/checkpoint-to-resume.js';
import { CheckpointError, type GlobalStateMasterParams } from './GlobalStateMaster.js';
import { DEFAULT_RETAINED_CHECKPOINTS } from '../lib/job.js';
import { rootCause } from './root-cause.js';

export interface MetaServiceParams {
  spec: JobSpec;
  placement: PlacementConfig;
}

export type JobState = 'initialized' | 'running' | 'finished' | 'failed' | 'stopped';

export interface JobOutcome {
  stages: StageMetrics[];
  wallTimeMs: number;
  error?: SerializedError;
  /** The checkpoint the run resumed from. */
  resumedFrom?: number;
  /** Ids of checkpoints this run takes start here. */
  firstCheckpointId: number;
}

export interface JobStatus {
  jobId: string;
  state: JobState;
  stages: StageMetrics[];
  sources: SourceProgress;
}

interface SelfActor {
  getCustomParameters(): MetaServiceParams;
  createChild(definition: string, options: object): Promise<ActorRef>;
}

/**
 * Owns the job: builds the DAG, creates the state master and one stage
 * master per stage, wires them, runs the job and ends it on the first failure.
 */
export default class MetaService {
  private params!: MetaServiceParams;
  private job!: Job;
  private stateMaster!: ActorRef;
  private readonly masters = new Map<string, ActorRef>();
  private state: JobState = 'initialized';
  private firstError: SerializedError | undefined;
  private resumedFrom: number | undefined;
  private firstCheckpointId = 1;
  private log!: Logger;

  async initialize(selfActor: SelfActor): Promise<void> {
    this.params = selfActor.getCustomParameters();
    const { spec } = this.params;
    this.log = createLogger(spec.logLevel, { actor: 'MetaService', job: spec.jobId });
    this.job = await loadJob(spec);
    const store = new CheckpointStore(openStateBackend(spec.stateLocation), spec.jobId);
    const resumed = await checkpointToResume(store, spec.restore);
    this.resumedFrom = resumed?.checkpointId;
    const firstCheckpointId = (await store.highestId()) + 1;
    this.firstCheckpointId = firstCheckpointId;
    if (resumed) this.log.info({ checkpointId: resumed.checkpointId }, 'resuming from checkpoint');
    const workerHosts = await this.placeRemoteWorkers();
    const sources = this.job.stageNames.filter((name) => this.job.upstreamsOf(name).length === 0);
    const stateParams: GlobalStateMasterParams = {
      spec, stages: this.job.stageNames, sources, firstCheckpointId,
      intervalSecs: this.job.options.checkpointIntervalSecs,
      intervalRecords: this.job.options.checkpointIntervalRecords,
      retain: this.job.options.retainCheckpoints ?? DEFAULT_RETAINED_CHECKPOINTS,
    };
    this.stateMaster = await selfActor.createChild(actorModulePath('GlobalStateMaster'), { mode: 'in-memory', customParameters: stateParams });
    // Stages start together: workers in other processes load in parallel. All are awaited before a failure is
    // thrown: Comedy destroys a failed actor's children as it fails, and a child still starting then would
    // reject that destruction with nobody to hear it.
    const created = await Promise.allSettled(this.job.stageNames.map((stage) => {
      const params: StageMasterParams = {
        spec, stage, placement: this.params.placement,
        firstEpoch: firstCheckpointId,
        restore: resumed?.stages[stage],
        workerHosts: workerHosts?.get(stage),
      };
      return selfActor.createChild(actorModulePath('StageMaster'), { mode: 'in-memory', name: `StageMaster-${stage}`, customParameters: params });
    }));
    const failed = created.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
    this.job.stageNames.forEach((stage, index) => this.masters.set(stage, (created[index] as PromiseFulfilledResult<ActorRef>).value));
    for (const [stage, master] of this.masters) {
      const upstreams = Object.fromEntries(this.job.upstreamsOf(stage).map((name) => [name, this.masters.get(name)!]));
      await master.sendAndReceive('connect', upstreams, this.stateMaster);
    }
    await this.stateMaster.sendAndReceive('connect', Object.fromEntries(this.masters));
  }

  /**
   * Puts the workers of a job on a cluster on the hosts whose agents answer
   * now: a host lost in an earlier attempt of this job gets no work.
   */
  private async placeRemoteWorkers(): Promise<Map<string, WorkerHost[]> | undefined> {
    const { placement } = this.params;
    if (!this.job.stageNames.some((stage) => workerModeOf(placement, stage) === 'remote')) return undefined;
    const secret = requireClusterSecret('the cluster');
    const { live, down } = await probeHosts(placement.hosts ?? [], secret);
    for (const { host, reason } of down) this.log.warn({ host: `${host.host}:${host.port}`, reason }, 'host agent does not answer; its slots get no workers');
    const workers = new Map(this.job.stageNames.map((stage) => [stage, this.job.getStage(stage).bounds.min]));
    const placed = assignWorkerHosts(workers, live);
    this.log.info({ hosts: Object.fromEntries([...placed].map(([stage, hosts]) => [stage, hosts.map((h) => `${h.host}:${h.port}`)])) }, 'placed workers');
    return placed;
  }

  /** Takes a checkpoint now; resolves with its id when complete. */
  async triggerCheckpoint(): Promise<number> {
    if (this.state !== 'running') throw new CheckpointError(`Job '${this.params.spec.jobId}' is ${this.state}, not running`);
    return this.stateMaster.sendAndReceive('trigger');
  }

  /** State master -> MetaService: the final checkpoint failed, so the job cannot complete. */
  checkpointFailed(error: SerializedError): void {
    this.onStageError(error);
  }

  /** Runs every stage; resolves when all have ended, with the first failure if any. */
  async runJob(): Promise<JobOutcome> {
    const started = Date.now();
    this.state = 'running';
    await this.stateMaster.sendAndReceive('start');
    const outcomes = await Promise.all(
      [...this.masters.entries()].map(async ([stage, master]) => {
        const outcome: StageOutcome = await master.sendAndReceive('run').catch((error: unknown) => ({
          metrics: undefined, error: serializeError(error),
        }));
        if (outcome.error) this.onStageError(outcome.error);
        this.log.info({ stage, error: outcome.error }, 'stage ended');
        return outcome;
      }),
    );
    this.log.debug('every stage ended; stopping checkpoints');
    await this.stateMaster.sendAndReceive('stop');
    const stages = await this.metrics(outcomes);
    if (this.state === 'running') this.state = this.firstError ? 'failed' : 'finished';
    return {
      stages, wallTimeMs: Date.now() - started, error: this.firstError, resumedFrom: this.resumedFrom, firstCheckpointId: this.firstCheckpointId,
    };
  }

  /** Ends the job early: every stage stops after the splits in flight. */
  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopped';
    const reason = serializeError(new JobStoppedError(`Job '${this.params.spec.jobId}' was stopped`));
    this.firstError ??= reason;
    await this.abortAll(reason);
  }

  async status(): Promise<JobStatus> {
    return {
      jobId: this.params.spec.jobId,
      state: this.state,
      stages: await this.metrics(),
      sources: await this.stateMaster.sendAndReceive('progress'),
    };
  }

  async metrics(final?: StageOutcome[]): Promise<StageMetrics[]> {
    const masters = [...this.masters.values()];
    return Promise.all(masters.map(async (master, i) => final?.[i]?.metrics ?? master.sendAndReceive('metrics')));
  }

  private onStageError(error: SerializedError): void {
    // After stop() the job's error stays JobStoppedError.
    this.firstError = this.state === 'stopped' && this.firstError ? this.firstError : rootCause(this.firstError, error);
    if (this.state === 'running') this.state = 'failed';
    this.abortAll(error).catch((abortError: unknown) => this.log.error({ err: abortError }, 'could not stop every stage'));
  }

  private async abortAll(reason: SerializedError): Promise<void> {
    await Promise.all([...this.masters.values()].map((master) => master.sendAndReceive('abort', reason)));
  }
}
