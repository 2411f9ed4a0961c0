import { StateKeyError } from '../lib/errors/index.js';

/** The '/'-separated parts of a state key; refuses '..', which would leave the state location. */
export function stateKeyParts(key: string): string[] {
  const parts = key.split('/');
  if (parts.some((part) => part === '..')) throw new StateKeyError(key);
  return parts;
}

/** The key of the deepest directory that holds every key starting with `prefix` ('' for the root). */
export function directoryOfPrefix(prefix: string): string {
  return prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
}
