import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { Worker as WorkerThread } from 'node:worker_threads';
import type { ActorRef } from 'comedy';
import type { RemoteEnd } from './remote-end.js';

/**
 * Every part of Comedy 2.1.7 that its public API does not export, reached
 * here and nowhere else: the classes the adapter patches, its message socket
 * (remote mode's framing), the promise library its classes return (Bluebird,
 * whose `tap` Comedy calls on what our replacements return), the script of
 * its actor processes, and what an actor reference wraps.
 */
const require = createRequire(import.meta.url);

/** A module of Comedy's `lib/` folder. */
export function comedyModule<T>(path: string): T {
  return require(`comedy/lib/${path}`) as T;
}

/** A Comedy class whose methods the adapter replaces. */
export type PatchableClass = { prototype: Record<string | symbol, unknown> };

/** The script Comedy runs in a forked actor's process; host agents start their actor processes with it too. */
export const FORKED_ACTOR_WORKER = require.resolve('comedy/lib/forked-actor-worker.js');

/** A socket carrying Comedy's remote-mode messages. */
export interface ComedyMessageSocket {
  on(event: string, listener: (...args: never[]) => void): void;
  once(event: string, listener: (...args: never[]) => void): void;
  write(message: unknown, callback?: (error?: Error) => void): void;
  end(): void;
  destroy(): void;
}

export const MessageSocket = comedyModule<{ new (socket: Socket): ComedyMessageSocket } & PatchableClass>('net/message-socket.js');

interface BluebirdPromise<T> extends PromiseLike<T> {
  tap(fn: (value: T) => unknown): BluebirdPromise<T>;
}

/** Comedy's own Bluebird, resolved from Comedy's folder. */
export const Bluebird = createRequire(require.resolve('comedy/lib/actor.js'))('bluebird') as {
  new <T>(executor: (resolve: (value: T) => void, reject: (error: Error) => void) => void): BluebirdPromise<T>;
  resolve<T>(value: T | PromiseLike<T>): BluebirdPromise<T>;
};

/**
 * What Comedy keeps behind an actor reference (`getWrapped()`): the child
 * process of a forked actor, the worker thread of a threaded one, the
 * connection of a remote one. Comedy offers no public way to watch or end them.
 */
export interface WrappedActor {
  workerProcess?: ChildProcess;
  worker?: WorkerThread;
  _setState?(state: string): void;
  getState?(): string;
  destroy0?(): Promise<void>;
  /** A remote actor's connection (remote-actor-parent-patch.ts). */
  remoteEnd?: RemoteEnd;
  /** A forked actor's 1 s request-timeout sweep; Comedy clears it only when the child confirms its destruction. */
  timeoutWorkerInterval?: NodeJS.Timeout;
}

export function wrappedActor(ref: ActorRef): WrappedActor | undefined {
  return (ref as unknown as { getWrapped?: () => WrappedActor }).getWrapped?.();
}

/**
 * Comedy's SIGINT and SIGTERM handlers on an actor system: they exit the
 * process with code 0.
 */
export function signalHandlersOf(system: object): { sigintHandler?: () => void; sigtermHandler?: () => void } {
  return system as { sigintHandler?: () => void; sigtermHandler?: () => void };
}
