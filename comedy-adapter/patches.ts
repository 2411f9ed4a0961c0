import { ActorExitedError } from '../lib/errors/index.js';
import { patchActorCreation } from './creation-patch.js';
import { comedyModule, type PatchableClass } from './internals.js';
import { patchMessageSocketFraming } from './message-socket-patch.js';
import { patchRemoteActorParent } from './remote-actor-parent-patch.js';

/**
 * Fixes to Comedy 2.1.7 (no longer developed), applied to its classes by
 * {@link installComedyPatches}, which every process that runs actors calls
 * when it starts: the job's process ({@link startActorSystem}), every actor
 * Comedy starts in a thread or process of its own ({@link actorContext}), host
 * agents and their actor processes. They hold also when Solstice-node is
 * installed as a dependency, where an install-time patch of node_modules
 * (patch-package) does not reach. docs/architecture.md lists them:
 * - creation fails when an actor's process or thread ends before it is created, and a forked actor's process
 *   'exit' listener goes when its process ends (creation-patch.ts);
 * - the job's side of a remote actor authenticates with the cluster secret and reports a host it cannot
 *   reach as an ActorExitedError (remote-actor-parent-patch.ts);
 * - remote-mode messages are framed by byte length (message-socket-patch.ts).
 */
const PATCHED = Symbol.for('solstice-node.comedy-patched');

export function installComedyPatches(): void {
  const ForkedActorParent = comedyModule<PatchableClass>('forked-actor-parent.js');
  if (ForkedActorParent.prototype[PATCHED]) return;
  ForkedActorParent.prototype[PATCHED] = true;
  patchActorCreation();
  patchRemoteActorParent((exit) => new ActorExitedError(exit));
  patchMessageSocketFraming();
}
