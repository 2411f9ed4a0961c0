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
