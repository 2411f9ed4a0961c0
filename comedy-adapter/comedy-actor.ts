import type { ChildProcess } from 'node:child_process';
import type { Worker as WorkerThread } from 'node:worker_threads';
import type { ActorRef } from 'comedy';
import type { ActorExit } from '../lib/errors/index.js';
import type { ArgsOf, ChildActor, ReplyOf, TopicOf } from '../protocol/actor-link.js';
import { wrappedActor } from './internals.js';

/** How long an actor has to be destroyed, and then its process to exit, before it is killed. */
const ACTOR_END_GRACE_MS = 5000;

/**
 * A Comedy actor reference behind the protocol's {@link ChildActor}: typed
 * requests, and what Comedy does not offer, watching and ending the process,
 * thread or connection behind the actor.
 */
export class ComedyActor<Api> implements ChildActor<Api> {
  constructor(readonly ref: ActorRef) {}

  /**
   * A request as a native promise, handled from the start. Comedy answers a
   * request to a crashed actor with an already rejected Bluebird promise,
   * which Bluebird reports as unhandled before `Promise.all` gets to it.
   */
  ask<K extends TopicOf<Api>>(topic: K, ...args: ArgsOf<Api[K]>): Promise<ReplyOf<Api[K]>> {
    return new Promise((resolve, reject) => {
      this.ref.sendAndReceive(topic, ...args).then(resolve, reject);
    });
  }

  tell<K extends TopicOf<Api>>(topic: K, ...args: ArgsOf<Api[K]>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ref.send(topic, ...args).then(() => resolve(), reject);
    });
  }

  /** The worker thread of a threaded actor; undefined for other modes or once it has exited. */
  get thread(): WorkerThread | undefined {
    return wrappedActor(this.ref)?.worker;
  }

  /** The child process of a forked actor; undefined for other modes or once it has exited. */
  get process(): ChildProcess | undefined {
    return wrappedActor(this.ref)?.workerProcess;
  }

  watchExit(onExit: (exit: ActorExit) => void): boolean {
    const remote = wrappedActor(this.ref)?.remoteEnd;
    if (remote) {
      remote.closed.then(onExit, () => undefined);
      return true;
    }
    const child = this.process;
    if (child) {
      const pid = child.pid;
      child.once('exit', (code, signal) => onExit({ pid, code, signal }));
      return true;
    }
    const thread = this.thread;
    if (thread) {
      const threadId = thread.threadId;
      let error: Error | undefined;
      // An error thrown in the thread ends it, and with no listener would end this process too.
      thread.on('error', (thrown: Error) => (error = thrown));
      thread.once('exit', (code) => onExit({ threadId, code, signal: null, error }));
      return true;
    }
    return false;
  }

  watchLoss(onLost: (exit: ActorExit) => void): boolean {
    return this.watchExit((exit) => {
      if (this.isBeingDestroyed) return;
      this.markGone();
      onLost(exit);
    });
  }

  private get isBeingDestroyed(): boolean {
    const state = wrappedActor(this.ref)?.getState?.();
    return state === 'destroying' || state === 'destroyed';
  }

  async kill(): Promise<void> {
    this.process?.kill('SIGKILL');
    wrappedActor(this.ref)?.remoteEnd?.close();
    await this.thread?.terminate();
  }

  /**
   * Destroys the actor and waits until its thread or process has ended: a
   * thread is terminated (Comedy leaves a destroyed thread running), a process
   * that has not exited `graceMs` after the destruction is killed (SIGKILL),
   * and one whose destruction does not finish in `graceMs` (a hung process)
   * is killed too.
   *
   * Masters call it for their children in their own destroy hook. Comedy
   * destroys the children of an actor in a thread or process of its own only
   * after that actor has reported its destruction, and its last message (the
   * acknowledgement after which a child exits) is written asynchronously just
   * before its own process exits: the children's processes outlived it until
   * their pings to it failed, seconds later.
   */
  async destroy(graceMs = ACTOR_END_GRACE_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const overdue = new Promise<'overdue'>((resolve) => (timer = setTimeout(() => resolve('overdue'), graceMs)));
    try {
      if ((await Promise.race([this.ref.destroy(), overdue])) === 'overdue') this.process?.kill('SIGKILL');
    } finally {
      clearTimeout(timer);
      await this.ended(graceMs);
    }
  }

  /**
   * Waits until the thread or process of a destroyed actor has ended: a
   * thread is terminated (Comedy leaves it running), a process that has not
   * exited `graceMs` after is killed (SIGKILL).
   */
  async ended(graceMs = ACTOR_END_GRACE_MS): Promise<void> {
    await this.thread?.terminate();
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const ended = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await ended;
    clearTimeout(timer);
  }

  /**
   * Comedy notices a dead child process itself, but not a dead thread:
   * requests to it would wait forever, and so would destroying it. This
   * rejects its pending requests ("Actor crashed.") and lets its destruction
   * complete at once. A dead child never confirms its destruction, so its
   * request-timeout sweep is stopped here; left running, it would keep the
   * process alive.
   */
  markGone(): void {
    const actor = wrappedActor(this.ref);
    if (!actor?._setState) return;
    actor._setState('crashed');
    actor.destroy0 = () => Promise.resolve();
    if (actor.timeoutWorkerInterval) clearInterval(actor.timeoutWorkerInterval);
  }
}
