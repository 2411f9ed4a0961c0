import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { Logger } from '../../lib/logger.js';
import type { ScalingRecord } from '../../protocol/messages.js';
import type { WorkerGrant } from '../../protocol/actor-apis.js';
import type { WorkerHost } from '../../lib/placement-config.js';
import type { Autoscaler, StageLoad } from './stage-policies.js';
import type { Utilization, WorkerTimeTotals } from './utilization.js';

/** How often an elastic stage weighs its load. */
export const SCALING_TICK_MS = 250;
/** Decisions kept for metrics and status. */
const RECORDS_KEPT = 50;

/** What a stage scaler is given by its stage master. */
export interface ScalerContext {
  log: Logger;
  autoscaler: Autoscaler;
  utilization: Utilization;
  /** The indexes of the workers alive, retiring ones included. */
  workerIndexes(): number[];
  /** Splits queued that a worker could take now, and whether more input will come. */
  input(): { queued: number; inputEnded: boolean };
  /** Asks the job for `wanted` more busy workers; resolves with how many it grants, why, and for workers on hosts, where. */
  grant(wanted: number): Promise<WorkerGrant>;
  /** Starts `count` workers more, on `hosts` (one each) for workers on hosts; resolves with their indexes. */
  grow(count: number, hosts?: WorkerHost[]): Promise<number[]>;
  /** Slots granted on hosts but not used. */
  release(hosts: WorkerHost[]): void;
  /** The workers taking splits changed. */
  resized(active: number[]): void;
  /** The stage hands out splits (it is neither starting nor stopping). */
  running(): boolean;
  /** The stage keeps key-grouped state: a change waits for its next checkpoint, where its state moves ({@link StageScaler.applyPending}). */
  atCheckpoint: boolean;
  /** Its workers run in the master's thread (in-process placement): their growth is bounded by that thread's event loop. */
  sharesThread: boolean;
  pump(): void;
}

/**
 * An elastic stage's scaling: every {@link SCALING_TICK_MS} it measures how
 * its workers spent the last ticks ({@link Utilization}), asks its
 * autoscaler how many it should have, and starts workers (within what the
 * job's budget grants) or drains them. A drained worker takes no new split;
 * it ends once its split is done and, if its chain writes a transactional
 * sink, once a checkpoint has committed what it wrote (its master decides
 * when, {@link retiringMayEnd}).
 */
export class StageScaler {
  /** Workers draining. */
  readonly retiring = new Set<number>();
  /** The last epoch each worker ran a split of. */
  private readonly lastEpoch = new Map<number, number>();
  private readonly records: ScalingRecord[] = [];
  private lastReason = '';
  private target: number;
  /** When the worker count last changed; none at the start: a stage busy from its first windows grows at once. */
  private changedAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private previous: { at: number; totals: WorkerTimeTotals; loop: EventLoopUtilization } | undefined;
  private smoothed: { busy: number; blocked: number; starved: number } | undefined;
  private deciding = false;
  /** The busy share and the splits queued in the last window weighed. */
  private lastLoad: { busy: number; queued: number } | undefined;
  /** A change decided for a stateful stage, made at its next checkpoint. */
  private pending: { load: StageLoad; to: number; reason: string; hosts?: WorkerHost[] } | undefined;

  constructor(private readonly context: ScalerContext) {
    this.target = context.autoscaler.initialWorkers;
  }

  start(): void {
    if (!this.context.autoscaler.elastic || this.timer) return;
    // The first window starts now: a stage busy from the start may grow at the first tick.
    this.previous = { at: performance.now(), totals: this.context.utilization.totals(), loop: performance.eventLoopUtilization() };
    this.timer = setInterval(() => {
      this.tick().catch((error: unknown) => this.context.log.error({ err: error }, 'could not scale the stage'));
    }, SCALING_TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    // Slots granted for a change that will not be made are given back.
    if (this.pending?.hosts) this.context.release(this.pending.hosts);
    this.pending = undefined;
  }

  /** The workers taking splits: alive and not retiring. */
  active(): number[] {
    return this.context.workerIndexes().filter((index) => !this.retiring.has(index));
  }

  /** A worker starts a split of `epoch`. */
  dispatched(worker: number, epoch: number): void {
    this.lastEpoch.set(worker, Math.max(epoch, this.lastEpoch.get(worker) ?? epoch));
  }

  /** A retiring worker may end now: nothing it wrote waits for a checkpoint later than `committed`. */
  retiringMayEnd(worker: number, committed: number, writesTransactions: boolean): boolean {
    if (!this.retiring.has(worker)) return false;
    const last = this.lastEpoch.get(worker);
    return !writesTransactions || last === undefined || last <= committed;
  }

  /** A worker ended; true if it was retiring (its end is the drain's, not the stage's). */
  ended(worker: number): boolean {
    this.lastEpoch.delete(worker);
    return this.retiring.delete(worker);
  }

  /** A worker was lost: if it was retiring, it is not any more (its replacement takes splits, and a later tick may drain again). */
  lost(worker: number): void {
    if (this.retiring.delete(worker)) this.context.resized(this.active());
  }

  get targetWorkers(): number {
    return this.target;
  }

  get reason(): string {
    return this.lastReason;
  }

  /** The busy share and the splits queued in the last window weighed, once one was. */
  get load(): { busy: number; queued: number } | undefined {
    return this.lastLoad;
  }

  /** The decisions that changed the worker count, oldest first. */
  history(): ScalingRecord[] {
    return [...this.records];
  }

  /**
   * A stateful stage's checkpoint is taken and no split of the next epoch
   * has started: the change decided, if any, is made now by `change`, which
   * starts (on `hosts`, one each, on a cluster) or drains workers and moves
   * the key groups.
   */
  async applyPending(change: (to: number, hosts?: WorkerHost[]) => Promise<void>): Promise<void> {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    this.record(pending.load, pending.to, pending.reason);
    await change(pending.to, pending.hosts);
    this.startWindows();
  }

  private async tick(): Promise<void> {
    if (this.deciding || this.pending || !this.context.running()) return;
    const load = this.weigh();
    if (!load) return;
    const decision = this.context.autoscaler.decide(load);
    this.lastReason = decision.reason;
    this.lastLoad = { busy: round(load.busy), queued: load.queued };
    if (decision.target === load.workers) return;
    this.deciding = true;
    try {
      if (decision.target > load.workers) await this.scaleUp(load, decision.target, decision.reason);
      else this.scaleDown(load, decision.target, decision.reason);
    } finally {
      this.deciding = false;
    }
  }

  /** The last window's shares of worker time, smoothed over ticks so one split's end does not swing them. */
  private weigh(): StageLoad | undefined {
    const now = performance.now();
    const totals = this.context.utilization.totals();
    const loop = performance.eventLoopUtilization();
    const previous = this.previous;
    this.previous = { at: now, totals, loop };
    if (!previous) return undefined;
    const sharedThreadBusy = this.context.sharesThread ? performance.eventLoopUtilization(loop, previous.loop).utilization : undefined;
    const workerMs = totals.workersMs - previous.totals.workersMs;
    if (workerMs <= 0) return undefined;
    const share = (key: 'busyMs' | 'blockedMs' | 'starvedMs') => Math.min(1, (totals[key] - previous.totals[key]) / workerMs);
    const window = { busy: share('busyMs'), blocked: share('blockedMs'), starved: share('starvedMs') };
    const last = this.smoothed;
    this.smoothed = last
      ? { busy: (last.busy + window.busy) / 2, blocked: (last.blocked + window.blocked) / 2, starved: (last.starved + window.starved) / 2 }
      : window;
    return {
      workers: this.active().length, ...this.smoothed, ...this.context.input(), msSinceChange: now - this.changedAt,
      ...(sharedThreadBusy === undefined ? {} : { sharedThreadBusy }),
    };
  }

  private async scaleUp(load: StageLoad, target: number, reason: string): Promise<void> {
    const { granted, why, hosts } = await this.context.grant(target - load.workers);
    if (granted <= 0) {
      this.lastReason = `${reason}; not granted: ${why}`;
      // Asked again only after a cooldown, as after a change: the job's load moves no faster.
      this.changedAt = performance.now();
      return;
    }
    const to = load.workers + granted;
    if (this.context.atCheckpoint) {
      this.defer(load, to, granted < target - load.workers ? `${reason}; ${why}` : reason, hosts);
      return;
    }
    this.record(load, to, granted < target - load.workers ? `${reason}; ${why}` : reason);
    // A retiring worker is taken back first: it is already running (and holds its slot).
    for (const index of [...this.retiring].slice(0, granted)) this.retiring.delete(index);
    const more = to - this.active().length;
    if (hosts) this.context.release(hosts.slice(Math.max(0, more)));
    if (more > 0) await this.context.grow(more, hosts?.slice(0, more));
    this.context.resized(this.active());
    // The cooldown counts from when the new workers take splits: a window that holds their start says little of them.
    this.startWindows();
    this.context.pump();
  }

  private scaleDown(load: StageLoad, target: number, reason: string): void {
    if (this.context.atCheckpoint) {
      this.defer(load, target, reason);
      return;
    }
    this.record(load, target, reason);
    const victims = this.active().sort((a, b) => b - a).slice(0, load.workers - target);
    for (const index of victims) this.retiring.add(index);
    this.startWindows();
    this.context.resized(this.active());
    this.context.pump();
  }

  /** The workers changed: the cooldown starts now, and windows weighed from now on show them alone. */
  private startWindows(): void {
    this.changedAt = performance.now();
    this.previous = undefined;
    this.smoothed = undefined;
  }

  private defer(load: StageLoad, to: number, reason: string, hosts?: WorkerHost[]): void {
    this.pending = { load, to, reason, ...(hosts ? { hosts } : {}) };
    this.target = to;
    this.lastReason = `${reason}; at the next checkpoint`;
  }

  private record(load: StageLoad, to: number, reason: string): void {
    this.target = to;
    this.changedAt = performance.now();
    const record: ScalingRecord = {
      at: Date.now(), from: load.workers, to, reason, busy: round(load.busy), blocked: round(load.blocked), starved: round(load.starved), queued: load.queued,
    };
    this.records.push(record);
    if (this.records.length > RECORDS_KEPT) this.records.shift();
    this.context.log.info(record, 'scaling');
  }
}

function round(share: number): number {
  return Math.round(share * 100) / 100;
}
