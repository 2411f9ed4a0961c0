import type { Row } from '../../lib/arrow-rows.js';
import type { Table } from 'apache-arrow';
import { RowFunctionError } from '../../lib/errors/index.js';
import type { OperatorContext } from '../../lib/operator.js';
import { SplitPayload } from '../../lib/split-payload.js';

/**
 * How long a row loop runs before it lets the event loop run: a row function
 * that is slow, on a big split, must not hold back what else the worker's
 * thread or process does (progress, checkpoint triggers, heartbeats, which
 * would otherwise take the worker for hung).
 */
const SLICE_MS = 20;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Calls `visit(i)` for i in [0, count), yielding to the event loop every
 * {@link SLICE_MS} ms; what `visit` throws becomes a RowFunctionError naming
 * the row (1-based) and, through `rowAt`, its value. Given the operator's
 * `context`, a row it throws on is reported as a bad record
 * (`context.badRecord`, which throws under the stage's `onError: 'fail'`)
 * and the loop goes on; returns the indexes of the rows so reported.
 */
export async function forEachIndex(
  count: number, visit: (index: number) => void, rowAt: (index: number) => unknown, context?: Pick<OperatorContext, 'badRecord'>,
): Promise<number[]> {
  const bad: number[] = [];
  let i = 0;
  let sliceEnd = performance.now() + SLICE_MS;
  while (i < count) {
    try {
      for (; i < count; i++) {
        visit(i);
        if ((i & 15) === 15 && performance.now() > sliceEnd) {
          await nextTurn();
          sliceEnd = performance.now() + SLICE_MS;
        }
      }
    } catch (error) {
      const record = rowAt(i);
      const failure = new RowFunctionError(i + 1, record, error);
      if (!context) throw failure;
      context.badRecord({ error: failure, record, row: i + 1 });
      bad.push(i++);
    }
  }
  return bad;
}

/** Calls `visit` on each row, as {@link forEachIndex} does. */
export function forEachRow(rows: readonly Row[], visit: (row: Row) => void, context?: Pick<OperatorContext, 'badRecord'>): Promise<number[]> {
  return forEachIndex(rows.length, (i) => visit(rows[i]!), (i) => rows[i], context);
}

/** The rows of `table` but those at `bad` (ascending indexes), as a split's payload. */
export function payloadWithout(table: Table, bad: readonly number[], splitId: string): SplitPayload {
  if (bad.length === 0) return SplitPayload.fromTable(table, splitId);
  const kept = new Uint32Array(table.numRows - bad.length);
  let k = 0;
  let b = 0;
  for (let i = 0; i < table.numRows; i++) {
    if (b < bad.length && bad[b] === i) b++;
    else kept[k++] = i;
  }
  return SplitPayload.fromTableRows(table, kept, splitId);
}
