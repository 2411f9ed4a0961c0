import type { ActorRef } from 'comedy';
import type { ActorLink, ArgsOf, ChildOptions, ReplyOf, TopicOf } from '../protocol/actor-link.js';
import type { ActorContext, ActorName, Actors } from '../protocol/actor-apis.js';
import { actorModulePath } from './actor-modules.js';
import { ComedyActor } from './comedy-actor.js';
import { installComedyPatches } from './patches.js';

/** What Comedy passes to an actor's `initialize`. */
export interface ComedySelf {
  getCustomParameters(): unknown;
  getParent(): { send(topic: string, ...message: unknown[]): PromiseLike<unknown>; sendAndReceive(topic: string, ...message: unknown[]): PromiseLike<unknown> };
  createChild(definition: string, options: object): PromiseLike<ActorRef>;
}

/** Comedy's name for each mode. */
function comedyMode(mode: ChildOptions<unknown>['mode']): string {
  return mode === 'in-process' ? 'in-memory' : mode;
}

/** Creates a child actor of `parent` (an actor, or the actor system's root) from its module. */
export async function createComedyChild<A extends ActorName>(
  parent: Pick<ComedySelf, 'createChild'>, actor: A, options: ChildOptions<Actors[A]['params']>,
): Promise<ComedyActor<Actors[A]['api']>> {
  const { name, mode, params, host, port } = options;
  const ref = await parent.createChild(actorModulePath(actor), {
    mode: comedyMode(mode), name, customParameters: params, ...(host === undefined ? {} : { host, port }),
  });
  return new ComedyActor(ref);
}

/**
 * The context of an actor that Comedy has started: its parameters, a typed
 * link to its parent, and how to create children. An actor calls it first
 * in its `initialize`, which installs the Comedy patches in the thread or
 * process that Comedy may just have started for it.
 */
export function actorContext<Params, ParentApi>(self: ComedySelf): ActorContext<Params, ParentApi> {
  installComedyPatches();
  const parent = self.getParent();
  const link: ActorLink<ParentApi> = {
    ask: <K extends TopicOf<ParentApi>>(topic: K, ...args: ArgsOf<ParentApi[K]>) =>
      new Promise<ReplyOf<ParentApi[K]>>((resolve, reject) => {
        parent.sendAndReceive(topic, ...args).then((reply) => resolve(reply as ReplyOf<ParentApi[K]>), reject);
      }),
    tell: <K extends TopicOf<ParentApi>>(topic: K, ...args: ArgsOf<ParentApi[K]>) =>
      new Promise<void>((resolve, reject) => {
        parent.send(topic, ...args).then(() => resolve(), reject);
      }),
  };
  return {
    params: self.getCustomParameters() as Params,
    parent: link,
    createChild: (actor, options) => createComedyChild(self, actor, options),
  };
}
