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

/** A value a user function returned, for a message: `undefined`, `42`, `"text"`, `an array`, `a promise`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined (did it forget to return?)';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  if (isThenable(value)) return 'a promise (row functions run synchronously; do asynchronous work in a batchFn)';
  if (typeof value === 'bigint') return `${value}n`;
  return JSON.stringify(value) ?? String(value);
}

/** Whether `value` is a row: a plain object, not an array and not a promise (what an async function returns). */
export function isRow(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !isThenable(value);
}

/** Whether `value` is a promise, or any object with a `then` method. */
export function isThenable(value: unknown): boolean {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * What a batch function returned, checked to be an Arrow table: anything else
 * would fail later, in another stage, with a message about Arrow's insides.
 */
export function requireTable(operator: string, value: unknown): Table {
  const table = value as Partial<Table> | null | undefined;
  if (table !== null && typeof table === 'object' && typeof table.numRows === 'number' && typeof table.getChild === 'function' && table.schema !== undefined) return value as Table;
  throw new TypeError(`${operator} batchFn must return an Arrow Table, got ${describeValue(value)}`);
}
