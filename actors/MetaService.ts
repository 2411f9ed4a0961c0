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
import type { PlacementConfig } from './placement.js';

export interface MetaServiceParams {
  spec: JobSpec;
  placement: PlacementConfig;
}

export type JobState = 'initialized' | 'running' | 'finished' | 'failed' | 'stopped';

export interface JobOutcome {
  stages: StageMetrics[];
  wallTimeMs: number;
  error?: SerializedError;
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
  private log!: Logger;

  async initialize(selfActor: SelfActor): Promise<void> {
    this.params = selfActor.getCustomParameters();
    this.log = createLogger(this.params.spec.logLevel, { actor: 'MetaService', job: this.params.spec.jobId });
    this.job = await loadJob(this.params.spec);
    this.stateMaster = await selfActor.createChild(actorModulePath('GlobalStateMaster'), { mode: 'in-memory' });
    for (const stage of this.job.stageNames) {
      const params: StageMasterParams & { placement: PlacementConfig } = { spec: this.params.spec, stage, placement: this.params.placement };
      this.masters.set(stage, await selfActor.createChild(actorModulePath('StageMaster'), { mode: 'in-memory', name: `StageMaster-${stage}`, customParameters: params }));
    }
    for (const [stage, master] of this.masters) {
      const upstreams = Object.fromEntries(this.job.upstreamsOf(stage).map((name) => [name, this.masters.get(name)!]));
      await master.sendAndReceive('connect', upstreams, this.stateMaster);
    }
  }

  /** Runs every stage; resolves when all have ended, with the first failure if any. */
  async runJob(): Promise<JobOutcome> {
    const started = Date.now();
    this.state = 'running';
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
    const stages = await this.metrics(outcomes);
    if (this.state === 'running') this.state = this.firstError ? 'failed' : 'finished';
    return { stages, wallTimeMs: Date.now() - started, error: this.firstError };
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
    // A stage that stopped because another one failed reports JobStoppedError: keep the root cause.
    const isConsequence = error.name === 'JobStoppedError';
    if (!this.firstError || (this.firstError.name === 'JobStoppedError' && !isConsequence && this.state !== 'stopped')) {
      this.firstError = error;
    }
    if (this.state === 'running') this.state = 'failed';
    this.abortAll(error).catch((abortError: unknown) => this.log.error({ err: abortError }, 'could not stop every stage'));
  }

  private async abortAll(reason: SerializedError): Promise<void> {
    await Promise.all([...this.masters.values()].map((master) => master.sendAndReceive('abort', reason)));
  }
}
