import type { ActorRef } from 'comedy';

/** What one master needs of another: to send it messages, with or without an answer. */
export interface MasterLink {
  send(topic: string, ...message: unknown[]): Promise<unknown>;
  sendAndReceive(topic: string, ...message: unknown[]): Promise<any>;
}

/** A master's parent (the MetaService), as Comedy gives it to the master. */
export interface ParentRef {
  send(topic: string, ...message: unknown[]): Promise<unknown>;
  sendAndReceive(topic: string, ...message: unknown[]): Promise<any>;
}

/**
 * Masters talk to each other directly when they share the MetaService's
 * process. A master in a thread or process of its own reaches the others
 * through the MetaService (its parent), which passes each message on: Comedy
 * can hand an actor reference to another process, but the far end of such a
 * reference initializes the actor again (a forked actor is forked again),
 * so references never leave the MetaService's process.
 */
export function relayLink(parent: ParentRef, target: string): MasterLink {
  return {
    send: (topic, ...message) => parent.send('relay', target, topic, ...message),
    sendAndReceive: (topic, ...message) => parent.sendAndReceive('relayAndReceive', target, topic, ...message),
  };
}

/** The name under which the MetaService passes messages on to the GlobalStateMaster. */
export const STATE_MASTER_TARGET = '@GlobalStateMaster';

export type { ActorRef };
