import { SolsticeError, type ActorExit } from '../../lib/errors/index.js';
import type { Logger } from '../../lib/logger.js';
import type { WorkerApi } from '../../protocol/actor-apis.js';
import type { WorkerStart } from './worker-creation.js';
import type { ArgsOf, ChildActor, ReplyOf, TopicOf } from '../../protocol/actor-link.js';
import { Heartbeats, silenceReason } from '../heartbeats.js';

/** A worker that could not be started, by index. */
export interface WorkerStartFailure {
  index: number;
  reason: unknown;
}

export interface WorkerPoolOptions {
  /** Creates the worker with this index (its process, thread or remote actor, and its operator), started as `start` says. */
  create(index: number, start?: WorkerStart): Promise<ChildActor<WorkerApi>>;
  /** How long a worker in another thread, process or host may answer no heartbeat before it is killed. */
  heartbeatTimeoutMs: number;
  /** A worker's process or thread ended, or its connection closed; `killedBecause` says why if the pool killed it. */
  onLost(index: number, exit: ActorExit, killedBecause: string | undefined): void;
  log: Logger;
}

/**
 * A stage's workers, by index: creates them, watches those in other threads,
 * processes and hosts (their exit, and heartbeats: one silent for the
 * stage's timeout is killed, and its loss says so), and ends them. Workers
 * can be added and retired while the stage runs.
 */
export class WorkerPool {
  private readonly workers = new Map<number, ChildActor<WorkerApi>>();
  private readonly heartbeats: Heartbeats;
  /** Why a worker was killed by the pool (a missed heartbeat), for the loss its exit reports. */
  private readonly killReasons = new Map<number, string>();
  /** Workers in a thread, process or host of their own, whose exit is watched: they can be killed. */
  private readonly killable = new Set<number>();
  /** Workers being started in place of lost ones, by index. */
  private readonly replacing = new Map<number, Promise<ChildActor<WorkerApi>>>();
  private nextIndex = 0;

  constructor(private readonly options: WorkerPoolOptions) {
    this.heartbeats = new Heartbeats(options.heartbeatTimeoutMs, (index, silentMs) => this.silent(index, silentMs));
  }

  /** Workers, those being started in place of lost ones included. */
  get size(): number {
    return this.workers.size + this.replacing.size;
  }

  /** The indexes of the workers (those being replaced included), in order. */
  get indexes(): number[] {
    return [...this.workers.keys(), ...this.replacing.keys()].sort((a, b) => a - b);
  }

  /**
   * Starts a worker in place of the lost one at `index`, restoring what
   * `start` gives (a stateful chain's state) if anything; requests to that
   * index wait for it. Rejects if it cannot be started.
   */
  async replace(index: number, start: Omit<WorkerStart, 'replacement'> = {}): Promise<void> {
    this.workers.delete(index);
    this.killable.delete(index);
    this.heartbeats.forget(index);
    this.killReasons.delete(index);
    const created = this.options.create(index, { ...start, replacement: true });
    this.replacing.set(index, created);
    try {
      this.watch(index, await created);
    } finally {
      this.replacing.delete(index);
    }
  }

  /** The indexes the next `count` workers {@link add}ed get. */
  nextIndexes(count: number): number[] {
    return Array.from({ length: count }, (_, i) => this.nextIndex + i);
  }

  /**
   * Creates `count` workers at the next indexes, all at once, and starts
   * watching them; returns their indexes. If any cannot be created, the
   * others are destroyed and the first failure is returned; they were all awaited first, since
   * destroying a parent while a child is still starting fails with nobody to
   * hear it.
   */
  async add(count: number, start?: WorkerStart): Promise<{ indexes: number[]; failure?: WorkerStartFailure }> {
    const indexes = Array.from({ length: count }, () => this.nextIndex++);
    const created = await Promise.allSettled(indexes.map((index) => this.options.create(index, start)));
    const failed = created.findIndex((result) => result.status === 'rejected');
    if (failed >= 0) {
      await Promise.all(created.map((result) => (result.status === 'fulfilled' ? result.value.destroy() : undefined)));
      return { indexes: [], failure: { index: indexes[failed]!, reason: (created[failed] as PromiseRejectedResult).reason } };
    }
    created.forEach((result, i) => this.watch(indexes[i]!, (result as PromiseFulfilledResult<ChildActor<WorkerApi>>).value));
    return { indexes };
  }

  private watch(index: number, worker: ChildActor<WorkerApi>): void {
    this.workers.set(index, worker);
    const watched = worker.watchExit((exit) => {
      worker.markGone();
      // A retired worker's end is no loss.
      if (this.workers.get(index) !== worker) return;
      this.heartbeats.forget(index);
      this.options.onLost(index, exit, this.killReasons.get(index));
    });
    if (watched) {
      this.killable.add(index);
      this.heartbeats.watch(index, worker);
    }
  }

  private silent(index: number, silentMs: number): void {
    this.kill(index, silenceReason(silentMs), 'worker answers no heartbeat; killing it');
  }

  /**
   * Kills a worker in a thread, process or host of its own, for `reason`
   * (its loss then names it); an in-process worker cannot be killed: false.
   */
  kill(index: number, reason: string, message = `killing a worker: ${reason}`): boolean {
    const worker = this.workers.get(index);
    if (!worker || !this.killable.has(index)) return false;
    if (this.killReasons.has(index)) return true;
    this.killReasons.set(index, reason);
    this.options.log.warn({ worker: index }, message);
    worker.kill().catch((error: unknown) => this.options.log.error({ err: error, worker: index }, 'could not kill a hung worker'));
    return true;
  }

  /** The same request to every worker; resolves with their replies, by index order. */
  askAll<K extends TopicOf<WorkerApi>>(topic: K, ...args: ArgsOf<WorkerApi[K]>): Promise<ReplyOf<WorkerApi[K]>[]> {
    return Promise.all(this.indexes.map((index) => this.ask(index, topic, ...args)));
  }

  /** A request to the worker with this index (its replacement's, once started, if it is being replaced). */
  async ask<K extends TopicOf<WorkerApi>>(index: number, topic: K, ...args: ArgsOf<WorkerApi[K]>): Promise<ReplyOf<WorkerApi[K]>> {
    const worker = this.workers.get(index) ?? (await this.replacing.get(index));
    if (!worker) throw new SolsticeError(`No worker ${index} in this stage`);
    return worker.ask(topic, ...args);
  }

  /** Destroys one worker and waits for its thread or process to end; it is no longer watched. */
  async retire(index: number): Promise<void> {
    await this.replacing.get(index)?.catch(() => undefined);
    const worker = this.workers.get(index);
    if (!worker) return;
    this.workers.delete(index);
    this.killable.delete(index);
    this.heartbeats.forget(index);
    await worker.destroy();
  }

  /** Stops watching and retires every worker. */
  async destroy(): Promise<void> {
    this.heartbeats.stop();
    await Promise.all(this.indexes.map((index) => this.retire(index)));
  }

  /** Stops the heartbeats: the stage has ended, and its workers' exits are no longer losses. */
  stopWatching(): void {
    this.heartbeats.stop();
  }
}
