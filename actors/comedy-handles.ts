import type { ChildProcess } from 'node:child_process';
import type { Worker as WorkerThread } from 'node:worker_threads';
import type { ActorRef } from 'comedy';
import type { ActorExit } from '../lib/errors/index.js';
import type { RemoteEnd } from '../cluster/remote-actor-parent-patch.js';
import './comedy-patches.js';

/**
 * What Comedy (2.1.7) keeps behind an actor reference, reached through its
 * `getWrapped()`: the child process of a forked actor, the worker thread of a
 * threaded one. Comedy offers no public way to watch or end them.
 */
interface WrappedActor {
  workerProcess?: ChildProcess;
  worker?: WorkerThread;
  _setState?(state: string): void;
  getState?(): string;
  destroy0?(): Promise<void>;
  /** A remote actor's connection (cluster/remote-actor-parent-patch.ts). */
  remoteEnd?: RemoteEnd;
  /** A forked actor's 1 s request-timeout sweep; Comedy clears it only when the child confirms its destruction. */
  timeoutWorkerInterval?: NodeJS.Timeout;
}

function wrapped(ref: ActorRef): WrappedActor | undefined {
  return (ref as unknown as { getWrapped?: () => WrappedActor }).getWrapped?.();
}

/** The worker thread of a threaded actor; undefined for other modes or once it has exited. */
export function threadOf(ref: ActorRef): WorkerThread | undefined {
  return wrapped(ref)?.worker;
}

/** The child process of a forked actor; undefined for other modes or once it has exited. */
export function processOf(ref: ActorRef): ChildProcess | undefined {
  return wrapped(ref)?.workerProcess;
}

/** The connection to a remote actor; undefined for other modes. */
export function remoteEndOf(ref: ActorRef): RemoteEnd | undefined {
  return wrapped(ref)?.remoteEnd;
}

/**
 * Calls `onExit` once when the process or thread behind a forked or threaded
 * actor ends, or the connection to a remote one closes; returns false for an
 * in-process actor, which has none of them.
 */
export function watchExit(ref: ActorRef, onExit: (exit: ActorExit) => void): boolean {
  const remote = remoteEndOf(ref);
  if (remote) {
    remote.closed.then(onExit, () => undefined);
    return true;
  }
  const child = processOf(ref);
  if (child) {
    const pid = child.pid;
    child.once('exit', (code, signal) => onExit({ pid, code, signal }));
    return true;
  }
  const thread = threadOf(ref);
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

function isBeingDestroyed(ref: ActorRef): boolean {
  const state = wrapped(ref)?.getState?.();
  return state === 'destroying' || state === 'destroyed';
}

/**
 * As {@link watchExit}, for an actor whose end is a loss unless Comedy is
 * destroying it: the actor is marked gone ({@link markGone}) before
 * `onLost` is called.
 */
export function watchLoss(ref: ActorRef, onLost: (exit: ActorExit) => void): boolean {
  return watchExit(ref, (exit) => {
    if (isBeingDestroyed(ref)) return;
    markGone(ref);
    onLost(exit);
  });
}

/**
 * Ends the process (SIGKILL) or thread behind an actor, or closes the
 * connection to a remote one, whose process ends with it; in-process actors
 * cannot be ended.
 */
export async function kill(ref: ActorRef): Promise<void> {
  processOf(ref)?.kill('SIGKILL');
  remoteEndOf(ref)?.close();
  await threadOf(ref)?.terminate();
}

/** How long an actor has to be destroyed, and then its process to exit, before it is killed. */
export const ACTOR_END_GRACE_MS = 5000;

/**
 * Destroys a child actor and waits until its thread or process has ended:
 * a thread is terminated (Comedy leaves a destroyed thread running), a
 * process that has not exited `graceMs` after the destruction is killed
 * (SIGKILL), and one whose destruction does not finish in `graceMs` (a hung
 * process) is killed too.
 *
 * Masters call it for their children in their own destroy hook. Comedy
 * destroys the children of an actor in a thread or process of its own only
 * after that actor has reported its destruction, and its last message (the
 * acknowledgement after which a child exits) is written asynchronously just
 * before its own process exits: the children's processes outlived it until
 * their pings to it failed, seconds later.
 */
export async function destroyChild(ref: ActorRef, graceMs = ACTOR_END_GRACE_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const overdue = new Promise<'overdue'>((resolve) => (timer = setTimeout(() => resolve('overdue'), graceMs)));
  try {
    if ((await Promise.race([ref.destroy(), overdue])) === 'overdue') processOf(ref)?.kill('SIGKILL');
  } finally {
    clearTimeout(timer);
    await threadOf(ref)?.terminate();
    await processEnd(ref, graceMs);
  }
}

/** Waits until the process of a forked actor has exited; kills it after `graceMs`. */
async function processEnd(ref: ActorRef, graceMs: number): Promise<void> {
  const child = processOf(ref);
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const ended = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await ended;
  clearTimeout(timer);
}

/**
 * Tells Comedy that an actor's process or thread is gone. Comedy notices a
 * dead child process itself, but not a dead thread: requests to it would wait
 * forever, and so would destroying it. This rejects its pending requests
 * ("Actor crashed.") and lets its destruction complete at once. A dead
 * child never confirms its destruction, so its request-timeout sweep is
 * stopped here; left running, it would keep the process alive.
 */
export function markGone(ref: ActorRef): void {
  const actor = wrapped(ref);
  if (!actor?._setState) return;
  actor._setState('crashed');
  actor.destroy0 = () => Promise.resolve();
  if (actor.timeoutWorkerInterval) clearInterval(actor.timeoutWorkerInterval);
}
