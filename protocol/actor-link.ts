import type { ActorExit } from '../lib/errors/index.js';
import type { WorkerMode } from '../lib/placement-config.js';

/**
 * How actors reach each other, whatever carries the messages: the seam
 * between the actors and their transport (today Comedy, through
 * `comedy-adapter/`). An actor's API is an interface of message handlers
 * (protocol/actor-apis.ts); a link to it checks every topic, its arguments
 * and its reply at compile time.
 */

/** The arguments of a message handler. */
export type ArgsOf<Handler> = Handler extends (...args: infer Args) => unknown ? Args : never;

/** What a message handler's reply resolves to. */
export type ReplyOf<Handler> = Handler extends (...args: never[]) => infer Reply ? Awaited<Reply> : never;

/** The message topics of an actor API: its handlers' names. */
export type TopicOf<Api> = keyof Api & string;

export interface ActorLink<Api> {
  /** Sends a message and resolves with the handler's reply; rejects with what it threw. */
  ask<K extends TopicOf<Api>>(topic: K, ...args: ArgsOf<Api[K]>): Promise<ReplyOf<Api[K]>>;
  /** Sends a message without waiting for the handler; resolves once it is sent. */
  tell<K extends TopicOf<Api>>(topic: K, ...args: ArgsOf<Api[K]>): Promise<void>;
}

/** A child actor, as its parent holds it: a link, plus the means to watch and end what runs it. */
export interface ChildActor<Api> extends ActorLink<Api> {
  /**
   * Calls `onExit` once when the process or thread behind the actor ends, or
   * the connection to a remote one closes; returns false for an in-process
   * actor, which has none of them and shares its parent's fate.
   */
  watchExit(onExit: (exit: ActorExit) => void): boolean;
  /**
   * As {@link watchExit}, for an actor whose end is a loss unless it is being
   * destroyed: the actor is marked gone ({@link markGone}) before `onLost`.
   */
  watchLoss(onLost: (exit: ActorExit) => void): boolean;
  /** Ends the actor's process (SIGKILL) or thread, or closes the connection to a remote one; an in-process actor cannot be ended. */
  kill(): Promise<void>;
  /** Destroys the actor and waits until its thread or process has ended, killing it if it takes longer than `graceMs`. */
  destroy(graceMs?: number): Promise<void>;
  /** Takes the actor as gone: its pending requests reject and destroying it completes at once. */
  markGone(): void;
}

export interface ChildOptions<Params> {
  /** A name for logs and process titles ("Worker-parse-0"). */
  name: string;
  /** Where it runs (the placement's names: masters and workers take the same modes). */
  mode: WorkerMode;
  /** What the child's `initialize` receives: plain JSON, or links to actors in the same process. */
  params: Params;
  /** The host agent of a 'remote' actor. */
  host?: string;
  port?: number;
}
