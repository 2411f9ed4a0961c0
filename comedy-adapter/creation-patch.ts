import type { ChildProcess } from 'node:child_process';
import type { Worker as WorkerThread } from 'node:worker_threads';
import { ActorExitedError } from '../lib/errors/index.js';
import { comedyModule, type PatchableClass } from './internals.js';

/**
 * A forked or threaded actor whose process or thread ends before it reports
 * itself created (killed, crashed, exited while loading its module or opening
 * its operator) leaves Comedy's `createChild()` pending forever. The patched
 * creation rejects with an {@link ActorExitedError} instead, and stops the
 * timer Comedy started for the actor, which would otherwise keep the process
 * alive. A forked actor's process 'exit' listener goes when its process ends.
 */
interface CreatingActor {
  workerProcess?: ChildProcess;
  worker?: WorkerThread;
  timeoutWorkerInterval?: NodeJS.Timeout;
  /** A forked actor's process 'exit' listener, which kills the actor's process when this one exits. */
  exitHandler?: () => void;
}

type CreateMethod = (this: CreatingActor) => PromiseLike<void>;

/**
 * Calls `onSet` with each value assigned to `target[key]`. Comedy assigns the
 * child process or thread inside its creation method and deletes the property
 * when it exits, which removes this accessor and leaves a plain property.
 */
function onAssign<T>(target: object, key: string, onSet: (value: T) => void): void {
  let current: T | undefined;
  Object.defineProperty(target, key, {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (value: T) => {
      current = value;
      if (value) onSet(value);
    },
  });
}

/**
 * Wraps a creation method so that the end of the process or thread rejects it.
 * `watch` starts watching what was created and returns how to stop once the
 * creation has settled.
 */
function failCreationOnExit(
  prototype: Record<string | symbol, unknown>,
  method: string,
  key: 'workerProcess' | 'worker',
  watch: (created: ChildProcess & WorkerThread, fail: (error: ActorExitedError) => void, actor: CreatingActor) => () => void,
): void {
  const create = prototype[method] as CreateMethod;
  prototype[method] = async function patchedCreate(this: CreatingActor): Promise<void> {
    let fail!: (error: ActorExitedError) => void;
    const exited = new Promise<never>((_, reject) => (fail = reject));
    let unwatch = () => {};
    onAssign(this, key, (created: ChildProcess & WorkerThread) => (unwatch = watch(created, fail, this)));
    try {
      await Promise.race([Promise.resolve(create.call(this)), exited]);
    } catch (error) {
      // Comedy stops this actor's request-timeout sweep only when it is destroyed, which a failed creation never is.
      clearInterval(this.timeoutWorkerInterval);
      throw error;
    } finally {
      unwatch();
    }
  };
}

export function patchActorCreation(): void {
  const ForkedActorParent = comedyModule<PatchableClass>('forked-actor-parent.js');
  const ThreadedActorParent = comedyModule<PatchableClass>('threaded-actor-parent.js');
  failCreationOnExit(ForkedActorParent.prototype, '_createForkedWorker', 'workerProcess', (child, fail, actor) => {
    const pid = child.pid;
    // Comedy removes its 'exit' listener only once the actor's destruction is confirmed: the listener of an actor
    // killed, crashed or ended before it was created stayed, holding the actor, for as long as this process lived.
    child.once('exit', () => process.removeListener('exit', actor.exitHandler!));
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => fail(new ActorExitedError({ pid, code, signal }));
    child.once('exit', onExit);
    return () => child.off('exit', onExit);
  });
  failCreationOnExit(ThreadedActorParent.prototype, '_createThreadedWorker', 'worker', (thread, fail) => {
    const threadId = thread.threadId;
    let failure: Error | undefined;
    // An error thrown in the thread ends it; with no listener it would also end this process.
    const onError = (error: Error) => (failure = error);
    const onExit = (code: number) => fail(new ActorExitedError({ threadId, code, signal: null, error: failure }));
    thread.on('error', onError);
    thread.once('exit', onExit);
    return () => {
      thread.off('error', onError);
      thread.off('exit', onExit);
    };
  });
}
