import { relayLink } from './master-link.js';
import { actorContext, type ComedySelf } from '../comedy-adapter/index.js';
import type { GlobalStateMasterApi, MetaServiceApi, StageMasterApi, StateMasterWiring } from '../protocol/actor-apis.js';
import type { ActorLink } from '../protocol/actor-link.js';
import { CheckpointError, deserializeError, serializeError, type SerializedError } from '../lib/errors/index.js';
import { createLogger, type Logger } from '../lib/logger.js';
import type { CheckpointHistoryReport, GlobalStateMasterParams, SourceProgress } from '../protocol/job-status.js';
import { CheckpointHistory } from './checkpoint-history.js';
import type { CheckpointManifest } from '../state/checkpoint-manifest.js';
import { CheckpointStore } from '../state/checkpoint-store.js';
import { openStateBackend } from '../state/open-state-backend.js';
import type { StageAck } from '../protocol/messages.js';

interface Waiter {
  resolve: (id: number) => void;
  reject: (error: Error) => void;
}

interface Pending {
  id: number;
  acks: Map<string, StageAck>;
  allAcked: () => void;
  /** The job ended first: the checkpoint is dropped without being written. */
  abandon: () => void;
}

/**
 * Coordinates checkpoints for the whole job. Taking checkpoint n: tell every
 * stage master that epoch n is closed; each stage completes it once all its
 * splits of epochs up to n are done, saves its part and acks; with every ack
 * in, write the manifest (last, once), then let the sinks commit. Triggers:
 * every `intervalSecs`, every `intervalRecords` source records, on demand,
 * and a final one when the sources have read everything.
 */
export default class GlobalStateMaster implements GlobalStateMasterApi {
  private params!: GlobalStateMasterParams;
  private parent!: ActorLink<MetaServiceApi>;
  private log!: Logger;
  private store!: CheckpointStore;
  private masters: Record<string, ActorLink<StageMasterApi>> = {};
  private nextId = 1;
  private waiters: Waiter[] = [];
  private running = false;
  private pending: Pending | undefined;
  private finalRequested = false;
  private finished = false;
  private readonly exhausted = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private recordsSinceCheckpoint = 0;
  /** `intervalRecords` were read while a checkpoint was being taken: the next one follows it. */
  private recordCheckpointDue = false;
  private progressCounts: SourceProgress = { splitsDone: 0, records: 0 };
  private finalFailures = 0;
  private firstFinalFailure = 0;
  /** Settles when the checkpoint being taken has been written or dropped. */
  private taking: Promise<void> = Promise.resolve();
  /** The checkpoints of this attempt, for the job's status. */
  private readonly history = new CheckpointHistory();

  initialize(self: ComedySelf): void {
    const context = actorContext<GlobalStateMasterParams, MetaServiceApi>(self);
    this.params = context.params;
    this.parent = context.parent;
    this.log = createLogger(this.params.spec, { actor: 'GlobalStateMaster', job: this.params.spec.jobId });
    this.store = new CheckpointStore(openStateBackend(this.params.spec.stateLocation), this.params.spec.jobId);
    this.nextId = this.params.firstCheckpointId;
  }

  /**
   * Names the stages and how to reach their masters: by the refs that follow
   * when this master shares the MetaService's process, else through the
   * MetaService ({@link relayLink}).
   */
  connect({ stages }: StateMasterWiring, ...masters: ActorLink<StageMasterApi>[]): void {
    this.masters = Object.fromEntries(stages.map((stage, i) => [stage, masters[i] ?? relayLink<StageMasterApi>(this.parent, stage)]));
  }

  /** Starts the interval trigger. */
  start(): void {
    const secs = this.params.intervalSecs;
    if (secs && secs > 0) {
      this.timer = setInterval(() => this.request(), secs * 1000);
      this.timer.unref();
    }
  }

  /** Takes a checkpoint now; resolves with its id once it is complete. */
  trigger(): Promise<number> {
    if (this.finished) return Promise.reject(new CheckpointError('The job has completed; no more checkpoints are taken'));
    return new Promise((resolve, reject) => this.request({ resolve, reject }));
  }

  /** Source master -> state master: a source split has been read whole. */
  sourceSplitDone(_splitId: string, records: number): void {
    this.progressCounts.splitsDone++;
    this.progressCounts.records += records;
    this.recordsSinceCheckpoint += records;
    const every = this.params.intervalRecords;
    if (every && every > 0 && this.recordsSinceCheckpoint >= every) {
      this.recordsSinceCheckpoint = 0;
      this.recordCheckpointDue = true;
      this.request();
    }
  }

  /** Source master -> state master: the source has read all its splits. */
  sourceExhausted(stage: string): void {
    this.exhausted.add(stage);
    if (this.allExhausted) {
      this.finalRequested = true;
      this.request();
    }
  }

  /** Stage master -> state master: the stage completed its part of a checkpoint. */
  stageAck(ack: StageAck): void {
    const pending = this.pending;
    if (!pending || ack.checkpointId !== pending.id) {
      this.log.warn({ stage: ack.stage, ack: ack.checkpointId, pending: pending?.id }, 'ack for a checkpoint not in progress');
      return;
    }
    pending.acks.set(ack.stage, ack);
    if (pending.acks.size === this.params.stages.length) pending.allAcked();
  }

  /** MetaService -> state master: a heartbeat. Answered whenever this master's event loop is free. */
  ping(): boolean {
    return true;
  }

  progress(): SourceProgress {
    return { ...this.progressCounts };
  }

  checkpoints(): CheckpointHistoryReport {
    return this.history.report();
  }

  /**
   * MetaService -> state master: the job's stages have all ended. A checkpoint
   * still waiting for acks is dropped (they will not come); one being written
   * is finished first, so that no checkpoint is published after the job has
   * reported its end: a restart reads the latest checkpoint right after.
   */
  async stop(): Promise<void> {
    this.halt();
    this.pending?.abandon();
    await this.taking;
  }

  private halt(): void {
    if (this.timer) clearInterval(this.timer);
    this.finished = true;
    const waiters = this.waiters.splice(0);
    for (const waiter of waiters) waiter.reject(new CheckpointError('The job ended before the checkpoint was taken'));
  }

  private request(waiter?: Waiter): void {
    if (waiter) this.waiters.push(waiter);
    void this.runNext();
  }

  /** Takes checkpoints one at a time while any is asked for; the one taken after the sources are exhausted is final. */
  private async runNext(): Promise<void> {
    if (this.running || this.finished) return;
    this.running = true;
    const waiters = this.waiters.splice(0);
    const final = this.allExhausted;
    this.finalRequested = false;
    this.recordCheckpointDue = false;
    const id = this.nextId++;
    this.history.begin(id, final);
    const taking = this.take(id);
    this.taking = taking.then(() => undefined, () => undefined);
    try {
      const manifest = await taking;
      for (const waiter of waiters) waiter.resolve(id);
      if (manifest.final) this.halt();
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error as Error);
      this.history.failed(id, this.finished ? 'abandoned' : 'failed', (error as Error).message);
      if (this.finished) {
        this.running = false;
        return;
      }
      this.log.warn({ checkpointId: id, err: error }, `checkpoint ${id} failed; the job keeps its last completed checkpoint and goes on`);
      if (final) {
        // Still `running` through the pause, so that the interval timer and other triggers do not cut it short.
        await this.retryFinal(error);
        this.running = false;
        void this.runNext();
        return;
      }
    }
    this.running = false;
    // Once the sources are exhausted, checkpoints follow each other until one finds every stage at its end.
    if (this.waiters.length > 0 || this.finalRequested || this.recordCheckpointDue || this.allExhausted) void this.runNext();
  }

  /**
   * The job cannot complete without its final checkpoint: retry it with
   * growing pauses for a while (a state backend may come back), then fail.
   */
  private async retryFinal(error: unknown): Promise<void> {
    this.finalFailures++;
    const waited = this.finalFailures === 1 ? 0 : Date.now() - this.firstFinalFailure;
    if (this.finalFailures === 1) this.firstFinalFailure = Date.now();
    if (waited >= this.params.finalRetrySecs * 1000) {
      this.halt();
      await this.parent.tell('checkpointFailed', serializeError(error));
      return;
    }
    const pause = Math.min(5000, 250 * 2 ** (this.finalFailures - 1));
    this.log.warn({ attempt: this.finalFailures }, `retrying the final checkpoint in ${pause} ms`);
    await new Promise((resolve) => setTimeout(resolve, pause));
  }

  private get allExhausted(): boolean {
    return this.params.sources.every((source) => this.exhausted.has(source));
  }

  private async take(id: number): Promise<CheckpointManifest> {
    const startedAt = Date.now();
    const acked = new Promise<void>((resolve, reject) => {
      const abandon = () => reject(new CheckpointError(`Checkpoint ${id}: the job ended before every stage saved its part`));
      this.pending = { id, acks: new Map(), allAcked: resolve, abandon };
    });
    // It may be abandoned before it is awaited below.
    acked.catch(() => undefined);
    this.recordsSinceCheckpoint = 0;
    await Promise.all(Object.values(this.masters).map((master) => master.ask('closeEpoch', id)));
    await acked;
    const acks = [...this.pending!.acks.values()];
    this.pending = undefined;
    const failed = acks.find((ack) => ack.error);
    if (failed) throw new CheckpointError(`Checkpoint ${id}: stage '${failed.stage}' could not save its part`, { cause: deserializeError(failed.error as SerializedError) });
    const manifest: CheckpointManifest = {
      version: 1,
      jobId: this.params.spec.jobId,
      checkpointId: id,
      createdAt: new Date().toISOString(),
      final: acks.every((ack) => ack.final),
      ...(this.params.spec.run ? { runId: this.params.spec.run.id } : {}),
      stages: Object.assign({}, ...acks.map((ack) => ack.snapshots)),
      inFlight: acks.flatMap((ack) => ack.inFlight),
    };
    const manifestBytes = await this.store.publish(manifest);
    this.history.completed(id, manifest.final, { manifestBytes, stateBytes: acks.reduce((sum, ack) => sum + (ack.stateBytes ?? 0), 0) });
    // From closing the epoch to the manifest: how long the stages took to drain it and save their parts.
    this.log.info({ checkpointId: id, final: manifest.final, latencyMs: Date.now() - startedAt }, 'checkpoint published');
    // Before the commit: the final commit ends the job, and nothing may still be deleting then.
    await this.store.retain(this.params.retain).catch((error: unknown) => this.log.warn({ err: error }, 'could not remove old checkpoints'));
    // Each master commits the stages it saved.
    const savedBy = new Map(acks.map((ack) => [ack.stage, ack.snapshots ?? {}]));
    await Promise.all(
      Object.entries(this.masters).map(([head, master]) => master.ask('commitCheckpoint', id, savedBy.get(head) ?? {}, manifest.final)),
    );
    return manifest;
  }
}
