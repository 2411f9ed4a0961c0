/** Errors in reading a job's input: files that are missing or cannot be read, rows that cannot become a table, values a stage cannot use. */
import { SolsticeError, registerErrorClasses } from './base.js';

/** An input path that matches no file. */
export class InputNotFoundError extends SolsticeError {
  override readonly name: string = 'InputNotFoundError';

  constructor(readonly path: string) {
    super(`Input not found: '${path}' matches no file`);
  }

  override details(): Record<string, unknown> {
    return { path: this.path };
  }
}

/**
 * A record in an input file that cannot be read. `line` is 1-based and counts
 * physical lines of the file; `record` is the text of the offending record
 * (for a CSV record spanning lines, its line where the problem was found),
 * cut to {@link RECORD_TEXT_LIMIT} characters; both are undefined where there
 * is no such line (a Parquet file that cannot be read).
 */
export class InputFormatError extends SolsticeError {
  override readonly name: string = 'InputFormatError';
  readonly file: string;
  readonly line: number | undefined;
  readonly record: string | undefined;
  readonly reason: string;

  constructor(fields: { file: string; line?: number; record?: string; reason: string; cause?: unknown }) {
    super(`${fields.file}${fields.line !== undefined ? ` (line ${fields.line})` : ''}: ${fields.reason}`, { cause: fields.cause });
    this.file = fields.file;
    this.line = fields.line;
    this.record = fields.record === undefined ? undefined : cutRecordText(fields.record);
    this.reason = fields.reason;
  }

  override details(): Record<string, unknown> {
    return { file: this.file, line: this.line, record: this.record, reason: this.reason };
  }
}

/** How many characters of an offending record {@link InputFormatError} keeps. */
export const RECORD_TEXT_LIMIT = 200;

function cutRecordText(text: string): string {
  const line = text.endsWith('\r') ? text.slice(0, -1) : text;
  return line.length > RECORD_TEXT_LIMIT ? `${line.slice(0, RECORD_TEXT_LIMIT)}...` : line;
}

/**
 * Rows whose values in one column cannot share an Arrow type: `column` names
 * the column, `row` the 1-based row whose value differs from the rows before
 * it, `types` the two kinds of value (e.g. `['number', 'string']`,
 * `['number[]', 'string[]']`).
 */
export class SchemaInferenceError extends SolsticeError {
  override readonly name: string = 'SchemaInferenceError';

  constructor(readonly column: string, readonly row: number, readonly types: [string, string], value: unknown, options?: { cause?: unknown }) {
    super(
      `Column '${column}' mixes ${types[0]} and ${types[1]} values (row ${row} holds ${preview(value)}); ` +
        'give every row the same type in this column',
      options,
    );
  }

  override details(): Record<string, unknown> {
    return { column: this.column, row: this.row, types: this.types };
  }
}

/**
 * A row whose value in a column cannot serve the stage it reached (no key in
 * an aggregation's key column, a non-number to sum): `row` is the 1-based row
 * within its split, `column` the column, `reason` what the value is not.
 */
export class ColumnValueError extends SolsticeError {
  override readonly name: string = 'ColumnValueError';

  constructor(readonly column: string, readonly row: number, readonly reason: string, record: unknown) {
    super(`Row ${row} (${preview(record)}): column '${column}' holds ${preview(columnValue(record, column))}, ${reason}`);
  }

  override details(): Record<string, unknown> {
    return { column: this.column, row: this.row, reason: this.reason };
  }
}

function columnValue(record: unknown, column: string): unknown {
  return record !== null && typeof record === 'object' ? (record as Record<string, unknown>)[column] ?? null : undefined;
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}

registerErrorClasses({ InputNotFoundError, InputFormatError, SchemaInferenceError, ColumnValueError });
