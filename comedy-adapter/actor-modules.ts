import { fileURLToPath } from 'node:url';
import type { ActorName } from '../protocol/actor-apis.js';

/** The framework's actors, by name: the only modules host agents create. */
export const ACTOR_NAMES: readonly ActorName[] = ['MetaService', 'GlobalStateMaster', 'StageMaster', 'Worker'];

/**
 * Comedy resolves a module path that starts with one '/' against the
 * application's root, which is not this package when it is a dependency or
 * run through npx. A path that starts with '//' is taken as absolute, so we
 * name each actor module by its absolute location.
 */
export function actorModulePath(actor: ActorName): string {
  return `/${fileURLToPath(new URL(`../actors/${actor}.js`, import.meta.url))}`;
}
