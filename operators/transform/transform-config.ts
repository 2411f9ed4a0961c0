import type { Table } from 'apache-arrow';
import { OperatorConfigError } from '../../lib/errors/index.js';

/** A function over a whole split's Arrow table, for vectorised transforms. */
export type BatchFunction = (table: Table) => Table | Promise<Table>;

/** Checks that a transform got exactly one of `fn` and `batchFn`. */
export function requireOneFunction(operator: string, config: { fn?: unknown; batchFn?: unknown } | undefined): void {
  const hasFn = typeof config?.fn === 'function';
  const hasBatchFn = typeof config?.batchFn === 'function';
  if (hasFn === hasBatchFn) {
    throw new OperatorConfigError(`${operator} needs exactly one of 'fn' (a row function) or 'batchFn' (a table function)`);
  }
}
