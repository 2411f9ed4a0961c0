import { fileURLToPath } from 'node:url';

/**
 * Comedy resolves a module path that starts with one '/' against the
 * application's root, which is not this package when it is a dependency or
 * run through npx. A path that starts with '//' is taken as absolute, so we
 * name each actor module by its absolute location.
 */
export function actorModulePath(actor: 'MetaService' | 'GlobalStateMaster' | 'StageMaster' | 'Worker'): string {
  return `/${fileURLToPath(new URL(`./${actor}.js`, import.meta.url))}`;
}
