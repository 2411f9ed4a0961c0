import type { ActorLink, ArgsOf, ReplyOf, TopicOf } from '../protocol/actor-link.js';
import type { MetaServiceApi } from '../protocol/actor-apis.js';

/**
 * Masters talk to each other directly when they share the MetaService's
 * process. A master in a thread or process of its own reaches the others
 * through the MetaService (its parent), which passes each message on: Comedy
 * can hand an actor reference to another process, but the far end of such a
 * reference initializes the actor again (a forked actor is forked again),
 * so references never leave the MetaService's process.
 */
export function relayLink<Api>(parent: ActorLink<MetaServiceApi>, target: string): ActorLink<Api> {
  return {
    ask: async <K extends TopicOf<Api>>(topic: K, ...args: ArgsOf<Api[K]>) =>
      (await parent.ask('relayAndReceive', target, topic, ...args)) as ReplyOf<Api[K]>,
    tell: async <K extends TopicOf<Api>>(topic: K, ...args: ArgsOf<Api[K]>) => {
      await parent.ask('relay', target, topic, ...args);
    },
  };
}

/** The name under which the MetaService passes messages on to the GlobalStateMaster. */
export const STATE_MASTER_TARGET = '@GlobalStateMaster';

/** An API whose topics are not known here: what the MetaService passes on for other masters. */
type UntypedApi = Record<string, (...message: unknown[]) => unknown>;

/** A link for messages that the MetaService relays by topic name, as the relaying master named them. */
export function untyped(link: object): ActorLink<UntypedApi> {
  return link as unknown as ActorLink<UntypedApi>;
}
