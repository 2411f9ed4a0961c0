import type { Row } from '../../lib/arrow-rows.js';
import { SolsticeError, registerErrorClass } from '../../lib/errors.js';

/** A user row function threw; names the row (1-based, within the split) it threw on. */
export class RowFunctionError extends SolsticeError {
  override readonly name: string = 'RowFunctionError';

  constructor(readonly row: number, value: unknown, cause: unknown) {
    super(`row ${row} (${preview(value)}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }

  override details(): Record<string, unknown> {
    return { row: this.row };
  }
}

registerErrorClass('RowFunctionError', RowFunctionError);

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** Calls `visit` on each row; what it throws becomes a RowFunctionError naming the row. */
export function forEachRow(rows: readonly Row[], visit: (row: Row) => void): void {
  let i = 0;
  try {
    for (; i < rows.length; i++) visit(rows[i]!);
  } catch (error) {
    throw new RowFunctionError(i + 1, rows[i], error);
  }
}
