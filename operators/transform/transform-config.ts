import type { Table } from 'apache-arrow';
import { OperatorConfigError } from '../../lib/errors/index.js';
import { closest } from '../../lib/option-check.js';

/** A function over a whole split's Arrow table, for vectorised transforms. */
export type BatchFunction = (table: Table) => Table | Promise<Table>;

/**
 * Checks that a transform got exactly one of `fn` and `batchFn`, and, for
 * the class itself (`exact`; a subclass adds options of its own), no option
 * it does not know.
 */
export function requireOneFunction(operator: string, config: { fn?: unknown; batchFn?: unknown } | undefined, exact: boolean): void {
  if (exact) refuseUnknownOptions(operator, config, ['fn', 'batchFn']);
  const hasFn = typeof config?.fn === 'function';
  const hasBatchFn = typeof config?.batchFn === 'function';
  if (hasFn === hasBatchFn) {
    throw new OperatorConfigError(`${operator} needs exactly one of 'fn' (a row function) or 'batchFn' (a table function)`);
  }
}

/** Throws OperatorConfigError for a config key `operator` does not take, naming the one it likely meant. */
export function refuseUnknownOptions(operator: string, config: object | undefined, known: readonly string[]): void {
  const unknown = Object.keys(config ?? {}).filter((key) => !known.includes(key));
  if (unknown.length === 0) return;
  const named = unknown.map((key) => {
    const near = closest(key, known);
    return `'${key}'${near ? ` (did you mean '${near}'?)` : ''}`;
  });
  throw new OperatorConfigError(`${operator}: unknown option ${named.join(', ')}; the options are ${known.join(', ')}`);
}

/** A value a user function returned, for a message: `undefined`, `42`, `"text"`, `an array`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined (did it forget to return?)';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  return JSON.stringify(value) ?? String(value);
}
