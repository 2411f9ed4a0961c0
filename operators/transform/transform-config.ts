import type { Table } from 'apache-arrow';
import { OperatorConfigError } from '../../lib/errors/index.js';
import { unknownKeys } from '../../lib/option-check.js';

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
  const problem = unknownKeys(config, known);
  if (problem) throw new OperatorConfigError(`${operator}: ${problem}`);
}

/** A value a user function returned, for a message: `undefined`, `42`, `"text"`, `an array`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined (did it forget to return?)';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  return JSON.stringify(value) ?? String(value);
}
