import { randomUUID } from 'node:crypto';
import type { SerializedError } from '../lib/errors/index.js';
import type { JobRun, JobSpec } from '../lib/job-spec.js';
import { CheckpointError, JobStoppedError, MasterLostError, serializeError } from '../lib/errors/index.js';
import type { JobGraph } from '../lib/job.js';
import { createLogger, type Logger } from '../lib/logger.js';
import type { JobOutcome, JobState, JobStatus, MetaServiceParams } from '../protocol/job-status.js';
import { loadJob } from './job-loading.js';
import type { StageMasterParams, StageMetrics, StageOutcome } from '../protocol/messages.js';
import type { GlobalStateMasterApi, MetaServiceApi, StageMasterApi, WorkerGrant } from '../protocol/actor-apis.js';
import type { ChildActor } from '../protocol/actor-link.js';
import { actorContext, type ComedySelf } from '../comedy-adapter/index.js';
import { masterModeOf, masterPlacementOf, workerModeOf } from '../lib/placement-config.js';
import type { MasterKind, WorkerHost } from '../lib/placement-config.js';
import type { Heartbeats } from './heartbeats.js';
import { superviseMaster } from './master-supervision.js';
import { resolveSupervision } from '../lib/supervision.js';
import { reserveExitListeners } from './exit-listeners.js';
import { STATE_MASTER_TARGET, untyped } from './master-link.js';
import { chainName, chainOf, planChains, type StageChain } from '../lib/chaining.js';
import { assignWorkerHosts, liveHosts, probeHosts } from '../cluster/worker-hosts.js';
import { HostSlots } from '../cluster/host-slots.js';
import { requireClusterSecret } from '../cluster/shared-secret.js';
import { MasterHostPicker } from '../cluster/master-hosts.js';
import { CheckpointStore } from '../state/checkpoint-store.js';
import { openStateBackend } from '../state/open-state-backend.js';
import { checkpointToResume } from '../state/checkpoint-to-resume.js';
import type { GlobalStateMasterParams } from '../protocol/job-status.js';
import { DEFAULT_CHECKPOINT_INTERVAL_SECS, DEFAULT_RETAINED_CHECKPOINTS, DEFAULT_FINAL_CHECKPOINT_RETRY_SECS } from '../lib/job.js';
import { rootCause } from './root-cause.js';
import { WorkerBudget } from './worker-budget.js';

/** How often hosts that did not answer are asked again while elastic stages run on hosts. */
const HOST_PROBE_INTERVAL_MS = 2000;

/**
 * Owns the job: builds the DAG, creates the state master and one stage
 * master per stage, wires them, runs the job and ends it on the first failure.
 */
export default class MetaService implements MetaServiceApi {
  private params!: MetaServiceParams;
  private job!: JobGraph;
  private stateMaster!: ChildActor<GlobalStateMasterApi>;
  /** The job's stages fused into chains (lib/chaining.ts): one StageMaster each. */
  private chains: StageChain[] = [];
  /** The StageMaster of each chain, by the chain's first stage. */
  private readonly masters = new Map<string, ChildActor<StageMasterApi>>();
  private state: JobState = 'initialized';
  private firstError: SerializedError | undefined;
  private resumedFrom: number | undefined;
  private firstCheckpointId = 1;
  /** The run this attempt belongs to: decided in initialize(), reported by status(). */
  private run!: JobRun;
  private log!: Logger;
  /** Masters (by chain head, or GlobalStateMaster) whose process or thread has ended; a promise per stage master that resolves then. */
  private readonly lostMasters = new Set<string>();
  private readonly masterLost = new Map<string, Promise<StageOutcome>>();
  private releaseExitListeners: (() => void) | undefined;
  private attemptEnded = false;
  private readonly masterHeartbeats: Heartbeats[] = [];
  private budget!: WorkerBudget;
  /** The slots of the cluster's hosts, when workers run on them: where an elastic stage's new workers go. */
  private hostSlots: HostSlots | undefined;
  private hostProbe: NodeJS.Timeout | undefined;

  async initialize(self: ComedySelf): Promise<void> {
    const context = actorContext<MetaServiceParams, never>(self);
    this.params = context.params;
    this.log = createLogger(this.params.spec, { actor: 'MetaService', job: this.params.spec.jobId });
    this.job = await loadJob(this.params.spec);
    const store = new CheckpointStore(openStateBackend(this.params.spec.stateLocation), this.params.spec.jobId);
    const resumed = await checkpointToResume(store, this.params.spec.restore);
    this.resumedFrom = resumed?.checkpointId;
    // A restore goes on with the run its checkpoint belongs to; anything else is a new run.
    this.run = { id: resumed?.runId ?? randomUUID(), ...(resumed ? { resumedFrom: resumed.checkpointId } : {}) };
    const spec: JobSpec = { ...this.params.spec, run: this.run };
    const firstCheckpointId = (await store.highestId()) + 1;
    this.firstCheckpointId = firstCheckpointId;
    if (resumed) this.log.info({ checkpointId: resumed.checkpointId }, 'resuming from checkpoint');
    this.chains = planChains(this.job, this.params.placement);
    this.budget = new WorkerBudget(this.job, this.params.placement, () => this.metrics());
    const { workerHosts, masterHosts } = await this.placeOnHosts();
    const heads = this.chains.map((chain) => chain.head);
    const sources = this.job.stageNames.filter((name) => this.job.upstreamsOf(name).length === 0);
    const stateParams: GlobalStateMasterParams = {
      spec, stages: heads, sources, firstCheckpointId,
      intervalSecs: this.job.options.checkpointIntervalSecs ?? DEFAULT_CHECKPOINT_INTERVAL_SECS,
      intervalRecords: this.job.options.checkpointIntervalRecords,
      retain: this.job.options.retainCheckpoints ?? DEFAULT_RETAINED_CHECKPOINTS,
      finalRetrySecs: this.job.options.finalCheckpointRetrySecs ?? DEFAULT_FINAL_CHECKPOINT_RETRY_SECS,
    };
    const { placement } = this.params;
    const masterModes = [masterModeOf(placement, 'GlobalStateMaster'), ...heads.map((head) => masterModeOf(placement, 'StageMaster', head))];
    this.releaseExitListeners = reserveExitListeners(masterModes.filter((mode) => mode === 'forked').length);
    const stateMasterPlace = masterPlacementOf(placement, 'GlobalStateMaster');
    this.stateMaster = await context.createChild('GlobalStateMaster', {
      mode: stateMasterPlace.mode, name: 'GlobalStateMaster', params: stateParams, ...masterHosts?.place('GlobalStateMaster', stateMasterPlace),
    });
    this.watchMaster(this.stateMaster, 'GlobalStateMaster');
    // Stages start together: workers in other processes load in parallel. All are awaited before a failure is
    // thrown: Comedy destroys a failed actor's children as it fails, and a child still starting then would
    // reject that destruction with nobody to hear it.
    const stagePlaces = this.chains.map(({ head }) => {
      const place = masterPlacementOf(placement, 'StageMaster', head);
      return { mode: place.mode, ...masterHosts?.place(`StageMaster of '${head}'`, place) };
    });
    const created = await Promise.allSettled(this.chains.map((chain, index) => {
      const restore = Object.fromEntries(chain.stages.flatMap((stage) => (resumed?.stages[stage] ? [[stage, resumed.stages[stage]]] : [])));
      const params: StageMasterParams = {
        spec, chain: [...chain.stages], placement: this.params.placement,
        firstEpoch: firstCheckpointId,
        restore: resumed ? restore : undefined,
        workerHosts: workerHosts?.get(chain.head),
        recentLosses: this.params.recentLosses?.[chain.head],
      };
      return context.createChild('StageMaster', { ...stagePlaces[index]!, name: `StageMaster-${chainName(chain)}`, params });
    }));
    const failed = created.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
    this.chains.forEach(({ head }, index) => {
      const master = (created[index] as PromiseFulfilledResult<ChildActor<StageMasterApi>>).value;
      this.masters.set(head, master);
      this.watchMaster(master, 'StageMaster', head);
    });
    // A master in this process gets refs of the others; one outside it reaches them through relay() (actors/master-link.ts).
    for (const [head, master] of this.masters) {
      // Each upstream stage ends a chain; the master of that chain is named by its first stage.
      const upstreams = this.job.upstreamsOf(head).map((stage) => chainOf(this.chains, stage).head);
      if (masterModeOf(placement, 'StageMaster', head) === 'in-process') {
        await master.ask('connect', { upstreams }, this.stateMaster, ...upstreams.map((name) => this.masters.get(name)!));
      } else {
        // An object, not the array itself: Comedy takes a lone array argument as the list of arguments.
        await master.ask('connect', { upstreams });
      }
    }
    const stateMasterLocal = masterModeOf(placement, 'GlobalStateMaster') === 'in-process';
    await this.stateMaster.ask('connect', { stages: [...this.masters.keys()] }, ...(stateMasterLocal ? this.masters.values() : []));
  }

  /** A master outside this process sends a message to another master (named by its stage, or STATE_MASTER_TARGET). */
  async relay(target: string, topic: string, ...message: unknown[]): Promise<void> {
    await untyped(this.masterNamed(target)).tell(topic, ...message);
  }

  /** As {@link relay}, and answers with the other master's answer. */
  relayAndReceive(target: string, topic: string, ...message: unknown[]): Promise<unknown> {
    return untyped(this.masterNamed(target)).ask(topic, ...message);
  }

  private masterNamed(target: string): ChildActor<StageMasterApi> | ChildActor<GlobalStateMasterApi> {
    const master = target === STATE_MASTER_TARGET ? this.stateMaster : this.masters.get(target);
    if (!master) throw new Error(`no master '${target}' in job '${this.params.spec.jobId}'`);
    return master;
  }

  /**
   * A master in a thread, process or host of its own can be lost like a
   * worker, by its end or by a heartbeat left unanswered for its stage's
   * (the GlobalStateMaster: the job's) timeout: the job fails with a
   * MasterLostError, which the runner answers by restarting the job from its
   * last completed checkpoint.
   */
  private watchMaster(master: ChildActor<StageMasterApi> | ChildActor<GlobalStateMasterApi>, kind: MasterKind, stage?: string): void {
    const key = stage ?? kind;
    let lost!: (outcome: StageOutcome) => void;
    if (stage !== undefined) this.masterLost.set(stage, new Promise((resolve) => (lost = resolve)));
    const { heartbeatTimeoutSecs } = stage === undefined ? resolveSupervision(this.job.options.supervision, undefined) : this.job.supervisionOf(stage);
    const heartbeats = superviseMaster(master, heartbeatTimeoutSecs * 1000, this.log.child({ master: kind, stage }), (how, exit) => {
      // Masters end with the attempt: only an end before that is a loss.
      if (this.attemptEnded) return;
      const error = serializeError(new MasterLostError(kind, stage, how));
      this.lostMasters.add(key);
      this.log.error({ master: kind, stage, exit }, 'master lost');
      if (stage !== undefined) lost({ metrics: lostStageMetrics(chainOf(this.chains, stage).stages), error });
      this.onStageError(error);
    });
    if (heartbeats) this.masterHeartbeats.push(heartbeats);
  }

  /**
   * Puts the remote workers and masters of a job on a cluster on the hosts
   * whose agents answer now: a host lost in an earlier attempt of this job
   * gets no work.
   */
  private async placeOnHosts(): Promise<{ workerHosts?: Map<string, WorkerHost[]>; masterHosts?: MasterHostPicker }> {
    const { placement } = this.params;
    const stages = this.job.stageNames;
    const remoteWorkers = stages.some((stage) => workerModeOf(placement, stage) === 'remote');
    // A chain's workers run every stage of it: they are placed per chain.
    const remoteMasters = masterModeOf(placement, 'GlobalStateMaster') === 'remote' || stages.some((stage) => masterModeOf(placement, 'StageMaster', stage) === 'remote');
    if (!remoteWorkers && !remoteMasters) return {};
    const hosts = placement.hosts ?? [];
    const live = await liveHosts(hosts, this.log);
    // A remote MetaService took the first host that answered (lib/runner.ts): its children begin with the next.
    const masterHosts = new MasterHostPicker(live, hosts, masterModeOf(placement, 'MetaService') === 'remote' ? 1 : 0);
    if (!remoteWorkers) return { masterHosts };
    const workers = new Map(this.chains.map((chain) => [chain.head, chain.bounds.min]));
    const { placed, needed, slots, shared } = assignWorkerHosts(workers, live);
    this.hostSlots = new HostSlots(live, placed.values());
    if (shared) {
      this.log.warn(
        { needed, slots, hosts: live.map((host) => `${host.host}:${host.port} (${host.slots})`) },
        'the job needs more worker slots than the hosts that answer have; their workers share slots, so it runs slower',
      );
    }
    this.log.info({ hosts: Object.fromEntries([...placed].map(([stage, hosts]) => [stage, hosts.map((h) => `${h.host}:${h.port}`)])) }, 'placed workers');
    return { workerHosts: placed, masterHosts };
  }

  /** The job's runner -> MetaService: a heartbeat. Answered whenever this master's event loop is free. */
  ping(): boolean {
    return true;
  }

  /** Where this attempt resumed from, and the id its first checkpoint takes. */
  attempt(): { resumedFrom?: number; firstCheckpointId: number } {
    return { resumedFrom: this.resumedFrom, firstCheckpointId: this.firstCheckpointId };
  }

  /** Takes a checkpoint now; resolves with its id when complete. */
  async triggerCheckpoint(): Promise<number> {
    if (this.state !== 'running') throw new CheckpointError(`Job '${this.params.spec.jobId}' is ${this.state}, not running`);
    return this.stateMaster.ask('trigger');
  }

  async holdSources(): Promise<void> {
    if (this.state !== 'running') return;
    await Promise.all([...this.masters].filter(([stage]) => !this.lostMasters.has(stage)).map(([, master]) => master.ask('holdInput')));
  }

  /**
   * Elastic stage master -> MetaService: how many more busy workers stage
   * `head` may run ({@link WorkerBudget}), and, for workers on hosts, on
   * which: a free slot each ({@link HostSlots}).
   */
  async grantWorkers(head: string, wanted: number): Promise<WorkerGrant> {
    const grant: WorkerGrant = await this.budget.grant(wanted);
    if (grant.granted > 0 && workerModeOf(this.params.placement, head) === 'remote') {
      const hosts = this.hostSlots?.take(grant.granted) ?? [];
      if (hosts.length < grant.granted) grant.why = `${grant.why}; ${hosts.length} free slot(s) on the hosts that answer`;
      grant.granted = hosts.length;
      grant.hosts = hosts;
    }
    this.log.debug({ stage: head, wanted, ...grant }, 'workers asked for');
    return grant;
  }

  /** Elastic stage master -> MetaService: a drained worker on `host` ended; its slot takes another worker. */
  releaseWorker(_head: string, host: WorkerHost): void {
    this.hostSlots?.release(host);
  }

  /**
   * While elastic stages run on hosts, hosts that did not answer are asked
   * again every few seconds: one that answers again adds its slots, and the
   * stages may grow onto it.
   */
  private watchDownHosts(): void {
    const elasticOnHosts = this.chains.some((chain) => chain.bounds.max > chain.bounds.min && workerModeOf(this.params.placement, chain.head) === 'remote');
    if (!elasticOnHosts || !this.hostSlots) return;
    const hosts = this.params.placement.hosts ?? [];
    this.hostProbe = setInterval(() => {
      const down = this.hostSlots!.down(hosts);
      if (down.length === 0) return;
      probeHosts(down, requireClusterSecret('the cluster')).then(({ live }) => {
        if (live.length === 0) return;
        this.hostSlots!.found(live);
        this.log.info({ hosts: live.map((host) => `${host.host}:${host.port}`) }, 'host agent answers again; its slots take workers');
      }, (error: unknown) => this.log.warn({ err: error }, 'could not ask the hosts that did not answer'));
    }, HOST_PROBE_INTERVAL_MS);
    this.hostProbe.unref();
  }

  /** State master -> MetaService: the final checkpoint failed, so the job cannot complete. */
  checkpointFailed(error: SerializedError): void {
    this.onStageError(error);
  }

  /** Runs every stage; resolves when all have ended, with the first failure if any. */
  async runJob(): Promise<JobOutcome> {
    const started = Date.now();
    this.state = 'running';
    this.watchDownHosts();
    await this.stateMaster.ask('start');
    const outcomes = await Promise.all(
      [...this.masters.entries()].map(async ([stage, master]) => {
        const ran: Promise<StageOutcome> = master.ask('run').catch((error: unknown) => ({
          metrics: lostStageMetrics(chainOf(this.chains, stage).stages), error: serializeError(error),
        }));
        // A master that is lost never answers; its loss is its outcome.
        const outcome = await Promise.race([ran, this.masterLost.get(stage) ?? new Promise<never>(() => undefined)]);
        if (outcome.error) this.onStageError(outcome.error);
        this.log.info({ stage, error: outcome.error }, 'stage ended');
        return outcome;
      }),
    );
    this.log.debug('every stage ended; stopping checkpoints');
    if (!this.lostMasters.has('GlobalStateMaster')) await this.stateMaster.ask('stop');
    const stages = await this.metrics(outcomes);
    this.attemptEnded = true;
    clearInterval(this.hostProbe);
    for (const heartbeats of this.masterHeartbeats) heartbeats.stop();
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
      ...(await this.stateMasterReport()),
      run: this.run,
    };
  }

  /** How far the sources have read and the checkpoints taken, as the GlobalStateMaster knows; nothing of the latter once it is lost. */
  private async stateMasterReport(): Promise<Pick<JobStatus, 'sources' | 'checkpoints'>> {
    if (this.lostMasters.has('GlobalStateMaster')) return { sources: { splitsDone: 0, records: 0 } };
    const [sources, checkpoints] = await Promise.all([this.stateMaster.ask('progress'), this.stateMaster.ask('checkpoints')]);
    return { sources, checkpoints };
  }

  /** Every stage's metrics, in stage order; `final` holds the masters' outcomes once they have ended. */
  async metrics(final?: StageOutcome[]): Promise<StageMetrics[]> {
    const perMaster = await Promise.all([...this.masters].map(async ([head, master], i) => {
      if (final?.[i]?.metrics) return final[i]!.metrics;
      if (this.lostMasters.has(head)) return lostStageMetrics(chainOf(this.chains, head).stages);
      return master.ask('metrics');
    }));
    const byStage = new Map(perMaster.flat().map((metrics) => [metrics.stage, metrics]));
    return this.job.stageNames.flatMap((stage) => byStage.get(stage) ?? []);
  }

  private onStageError(error: SerializedError): void {
    // After stop() the job's error stays JobStoppedError.
    this.firstError = this.state === 'stopped' && this.firstError ? this.firstError : rootCause(this.firstError, error);
    if (this.state === 'running') this.state = 'failed';
    this.abortAll(error).catch((abortError: unknown) => this.log.error({ err: abortError }, 'could not stop every stage'));
  }

  private async abortAll(reason: SerializedError): Promise<void> {
    await Promise.all([...this.masters].filter(([stage]) => !this.lostMasters.has(stage)).map(([, master]) => master.ask('abort', reason)));
  }

  /**
   * Comedy calls this when this actor is destroyed. Its masters are destroyed
   * here, and their threads and processes waited for ({@link destroyChild}):
   * left to Comedy, they would outlive this actor's thread or process.
   */
  async destroy(): Promise<void> {
    clearInterval(this.hostProbe);
    for (const heartbeats of this.masterHeartbeats) heartbeats.stop();
    this.releaseExitListeners?.();
    this.releaseExitListeners = undefined;
    const masters = this.stateMaster ? [this.stateMaster, ...this.masters.values()] : [...this.masters.values()];
    await Promise.all(masters.map((master) => master.destroy()));
  }
}

/** What is known of the stages whose master was lost: nothing more than that they failed. */
function lostStageMetrics(stages: readonly string[]): StageMetrics[] {
  return stages.map((stage) => ({
    stage, state: 'failed', workers: 0, splitsIn: 0, splitsOut: 0, rowsIn: 0, rowsOut: 0, inFlight: 0, queued: 0, buffered: 0, maxBuffered: 0, bufferCapacity: 0,
  }));
}
