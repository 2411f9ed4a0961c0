import { createSystem, type ActorSystem as ComedySystem } from 'comedy';
import type { ChildActor, ChildOptions } from '../protocol/actor-link.js';
import type { ActorName, Actors } from '../protocol/actor-apis.js';
import { createComedyChild } from './actor-context.js';
import type { ComedyActor } from './comedy-actor.js';
import { signalHandlersOf } from './internals.js';
import { installComedyPatches } from './patches.js';

/** The actors of one job attempt, from the job's process: where its top actor is created, and how they all end. */
export interface ActorSystem {
  createActor<A extends ActorName>(actor: A, options: ChildOptions<Actors[A]['params']>): Promise<ChildActor<Actors[A]['api']>>;
  /** Destroys every actor, and waits until the threads and processes of its actors have ended. */
  destroy(): Promise<void>;
}

/**
 * Starts an actor system in the job's process, with the Comedy patches
 * installed. `test: true` keeps Comedy's own console logging quiet and stops
 * it reading an actors.json of the host application.
 */
export function startActorSystem(): ActorSystem {
  installComedyPatches();
  const system = createSystem({ test: true, config: {} });
  releaseSignals(system);
  return actorsUnder(system, async (created) => {
    await system.destroy();
    // Comedy leaves a destroyed threaded actor's thread running, and resolves a forked actor's destruction before its process has exited.
    await Promise.all(created.map((child) => child.ended()));
  });
}

/**
 * The actors of one job attempt as children of an application's own Comedy
 * system (`createRunner({ system })`): its root actor is their parent. The
 * application's system is left as it is: destroying this destroys only the
 * job's actors, and their threads and processes.
 */
export function attachToActorSystem(host: ComedySystem): ActorSystem {
  installComedyPatches();
  return actorsUnder(host, async (created) => {
    await Promise.all(created.map((child) => child.destroy()));
  });
}

/** Actors created under the system's root actor; `destroy` ends those created. */
function actorsUnder(system: ComedySystem, destroy: (created: ComedyActor<unknown>[]) => Promise<void>): ActorSystem {
  const created: ComedyActor<unknown>[] = [];
  return {
    async createActor(actor, options) {
      const child = await createComedyChild(await system.rootActor(), actor, options);
      created.push(child as ComedyActor<unknown>);
      return child;
    },
    destroy: () => destroy(created.splice(0)),
  };
}

/**
 * Comedy installs SIGINT and SIGTERM handlers that exit the process with code
 * 0, which would end an embedding application, and make a stopped job look
 * successful. Signals are the application's (the CLI stops the job on them).
 */
function releaseSignals(system: ComedySystem): void {
  const handlers = signalHandlersOf(system);
  if (handlers.sigintHandler) process.removeListener('SIGINT', handlers.sigintHandler);
  if (handlers.sigtermHandler) process.removeListener('SIGTERM', handlers.sigtermHandler);
}
