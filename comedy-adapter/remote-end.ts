import type { ActorExit } from '../lib/errors/index.js';

/** What a remote actor's parent knows of its far end (remote-actor-parent-patch.ts). */
export interface RemoteEnd {
  host: string;
  pid?: number;
  /** Resolves when the actor's connection closes. */
  closed: Promise<ActorExit>;
  /** Closes the connection; the actor's process ends with it. */
  close(): void;
}
