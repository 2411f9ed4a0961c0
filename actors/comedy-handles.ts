import type { ChildProcess } from 'node:child_process';
import type { Worker as WorkerThread } from 'node:worker_threads';
import type { ActorRef } from 'comedy';

/**
 * What Comedy (2.1.7) keeps behind an actor reference, reached through its
 * `getWrapped()`: the child process of a forked actor, the worker thread of a
 * threaded one. Comedy offers no public way to watch or end them.
 */
interface WrappedActor {
  workerProcess?: ChildProcess;
  worker?: WorkerThread;
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
