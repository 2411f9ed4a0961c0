import { stat } from 'node:fs/promises';
import { parse, type Info, type Options } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { Table, type Vector } from 'apache-arrow';
import { columnNames, inferVector, type Row } from '../lib/arrow-rows.js';
import { InputFormatError, OperatorConfigError } from '../lib/errors/index.js';
import type { SplitPayload } from '../lib/split-payload.js';
import type { FileFormat, FileSplit, ReportBadRecord } from './file-format.js';
import { cutByteRange, invalidUtf8Lines, lineNumberAt, openToRead, rangeSizing, readLinesInRange, sizedRanges, type ByteRange } from './line-range.js';

/** How a CSV column's text becomes a value: text, a double, a 64-bit integer (bigint) or a boolean. Empty fields become null whatever the type. */
export type CsvColumnType = 'string' | 'number' | 'integer' | 'boolean';

export const CSV_COLUMN_TYPES: readonly CsvColumnType[] = ['string', 'number', 'integer', 'boolean'];

export interface CsvOptions {
  /** Field delimiter. Default `,`. */
  delimiter?: string;
  /** Quote character; inside a quoted field it is written twice. Default `"`. */
  quote?: string;
  /**
   * Column types by name. `integer` is a 64-bit integer column (Arrow Int64,
   * bigint values in rows, exact beyond 2^53); `number` is Float64. Columns not
   * listed are inferred from the first rows of each file: number or boolean when
   * every sampled value is one as written, else string.
   */
  columnTypes?: Record<string, CsvColumnType>;
  /**
   * Set when quoted fields may hold newlines: files are then read whole, one
   * split per file, since a byte range could start inside a quoted field.
   */
  multilineFields?: boolean;
}

/** What every split of one CSV file needs to parse its byte range the same way. */
export interface CsvLayout {
  header: string[];
  types: Record<string, CsvColumnType>;
  delimiter: string;
  quote: string;
  /** Byte length of the header line, newline included. */
  headerBytes: number;
  /** Columns whose type was inferred (not in `columnTypes`): their values must keep their text as numbers or booleans. */
  inferred?: string[];
}

/** A byte range of a CSV file, with the layout every range of the file shares. */
interface CsvSplit extends FileSplit {
  start: number;
  end: number;
  csvLayout: CsvLayout;
  /** The file is read whole: its quoted fields may hold newlines. */
  multiline?: boolean;
}

/**
 * CSV with a header line, split by byte ranges of about `batchRows` records
 * (one range per file with `multilineFields`: a range could start inside a
 * quoted field, and no byte tells where records start without reading from
 * the file's start); the header is read and the column types inferred once
 * per file, when planning.
 */
export const csvFormat: FileFormat<CsvOptions> = {
  name: 'csv',
  extensions: ['.csv'],

  async planSplits(path, { splitBytes, batchRows, options = {} }): Promise<CsvSplit[]> {
    const { size } = await stat(path);
    if (size === 0) throw new InputFormatError({ file: path, line: 1, reason: 'empty file: a CSV file needs a header line' });
    const csvLayout = await readCsvLayout(path, options);
    const ranges = options.multilineFields
      ? [{ path, start: 0, end: size }]
      : sizedRanges(path, csvLayout.headerBytes, size, await rangeSizing(path, csvLayout.headerBytes, splitBytes, batchRows));
    return ranges.map((range) => ({ ...range, path, format: 'csv', csvLayout, multiline: options.multilineFields === true }));
  },

  /** A byte range cut in two; not a file read whole because its quoted fields may hold newlines. */
  cut(split, fraction) {
    const range = split as CsvSplit;
    return range.multiline ? undefined : cutByteRange(range, fraction);
  },

  readSplit(split, report) {
    const { path, start, end, csvLayout } = split as CsvSplit;
    return readCsvRange({ path, start, end }, csvLayout, report);
  },

  encode(payload: SplitPayload): string {
    const rows = payload.toRows();
    return stringify(rows.map(csvSafeRow), { header: true, columns: columnNames(rows) });
  },
};

const SAMPLE_BYTES = 256 * 1024;
const SAMPLE_ROWS = 1000;

/** Reads the header and infers the column types of a CSV file. */
export async function readCsvLayout(path: string, options: CsvOptions = {}): Promise<CsvLayout> {
  const delimiter = options.delimiter ?? ',';
  const quote = options.quote ?? '"';
  const sample = await readHead(path, SAMPLE_BYTES);
  const newline = sample.indexOf(0x0a);
  const complete = newline === -1 ? sample : sample.subarray(0, sample.lastIndexOf(0x0a) + 1);
  const headerProblem = invalidUtf8Lines(complete.subarray(0, newline === -1 ? complete.length : newline)).get(0);
  if (headerProblem !== undefined) throw new InputFormatError({ file: path, line: 1, record: lineText(complete, 1), reason: `header ${headerProblem}` });
  // The records read before a parse error are enough to infer from: the error itself is a bad record of the split that reads it.
  const records: string[][] = [];
  try {
    const options = {
      delimiter, quote, escape: quote, relax_column_count: true, to_line: SAMPLE_ROWS + 1, skip_empty_lines: true, bom: true,
      on_record: (record: string[]) => {
        records.push(record);
        return null;
      },
    };
    parse(complete, options as unknown as Options);
  } catch (error) {
    if (records.length === 0) {
      const line = (error as { lines?: number }).lines;
      throw new InputFormatError({ file: path, line, record: lineText(complete, line), reason: parseFailure(error), cause: error });
    }
  }
  const header = records[0];
  if (!header || header.length === 0) throw new InputFormatError({ file: path, line: 1, reason: 'no header line' });
  const duplicate = header.find((name, i) => header.indexOf(name) !== i);
  if (duplicate !== undefined) {
    throw new InputFormatError({ file: path, line: 1, record: lineText(complete, 1), reason: `header names column '${duplicate}' twice` });
  }
  for (const name of Object.keys(options.columnTypes ?? {})) {
    if (!header.includes(name)) throw new OperatorConfigError(`columnTypes names '${name}', which is not a column of ${path} (${header.join(', ')})`);
  }
  const types: Record<string, CsvColumnType> = {};
  header.forEach((name, i) => {
    types[name] = options.columnTypes?.[name] ?? inferType(records.slice(1).map((r) => r[i] ?? ''));
  });
  const inferred = header.filter((name) => options.columnTypes?.[name] === undefined);
  return { header, types, delimiter, quote, headerBytes: newline === -1 ? sample.length : newline + 1, inferred };
}

/**
 * The type a column's sampled values all have, inferred without changing any
 * value's text: numbers only in plain decimal notation (`-12`, `0.5`), so
 * `00501` (a zip code), `+1`, `1e3`, `.5`, `NaN` and integers beyond 2^53
 * keep the column text, as DuckDB's sniffer keeps them.
 */
function inferType(values: string[]): CsvColumnType {
  const present = values.filter((v) => v !== '');
  if (present.length === 0) return 'string';
  if (present.every((v) => v === 'true' || v === 'false')) return 'boolean';
  if (present.every((v) => isPlainInteger(v) || isPlainDecimal(v))) return 'number';
  return 'string';
}

const PLAIN_INTEGER = /^-?(0|[1-9]\d*)$/;
const PLAIN_DECIMAL = /^-?(0|[1-9]\d*)\.\d+$/;

function isPlainInteger(text: string): boolean {
  return PLAIN_INTEGER.test(text) && Number.isSafeInteger(Number(text));
}

function isPlainDecimal(text: string): boolean {
  return PLAIN_DECIMAL.test(text) && Number.isFinite(Number(text));
}

async function readHead(path: string, bytes: number): Promise<Buffer> {
  const handle = await openToRead(path);
  try {
    const buffer = Buffer.allocUnsafe(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** What to do when a value does not fit the type inferred for its column. */
function inferredNote(column: string, type: CsvColumnType, inferred: ReadonlySet<string>): string {
  if (!inferred.has(column) || type === 'string') return '';
  return ` (its type was inferred from the file's first ${SAMPLE_ROWS} rows; set csv.columnTypes: { ${JSON.stringify(column)}: 'string' } to read it as text)`;
}

/** A record that is not a row of the layout: `lines` counts from the start of the parsed bytes. */
interface RecordProblem {
  lines: number;
  reason: string;
}

/**
 * Parses the CSV records of a byte range of a file laid out as `layout`,
 * straight into one array of values per column (no object per record), as
 * an Arrow table typed as rows of those values would be; no records give no
 * rows.
 */
export async function readCsvRange(range: ByteRange, layout: CsvLayout, report?: ReportBadRecord): Promise<Table | Row[]> {
  const start = Math.max(range.start, layout.headerBytes);
  const { bytes, offset } = await readLinesInRange({ path: range.path, start, end: Math.max(range.end, start) });
  const { header, types } = layout;
  const inferred = new Set(layout.inferred ?? []);
  const notUtf8 = invalidUtf8Lines(bytes);
  const converters = header.map((name) => (inferred.has(name) ? inferredConverterFor(types[name]!) : converterFor(types[name]!)));
  const typeNames = header.map((name) => types[name]!);
  const columns = header.map(() => [] as unknown[]);
  let records = 0;
  // csv-parse cannot be stopped from on_record without throwing: without `report` the first problem is kept and later records are skipped.
  const problems: RecordProblem[] = [];
  let lastLine = 0;
  // The file's line number of the range's first line: counted once, when a record is bad.
  let rangeLine: number | undefined;
  const errorAt = async (lines: number | undefined, reason: string, cause?: unknown) => {
    rangeLine ??= await lineNumberAt(range.path, offset);
    return new InputFormatError({ file: range.path, line: lines === undefined ? undefined : rangeLine + lines - 1, record: lineText(bytes, lines), reason, cause });
  };
  const addRecord = (fields: string[], info: Info): null => {
    if (problems.length > 0 && !report) return null;
    const firstLine = lastLine + 1;
    lastLine = info.lines;
    const reason = invalidUtf8In(notUtf8, firstLine, info.lines) ?? addFields(fields, header, converters, typeNames, columns, records, inferred);
    if (reason === undefined) records++;
    else problems.push({ lines: info.lines, reason });
    return null;
  };
  try {
    const options = {
      delimiter: layout.delimiter,
      quote: layout.quote,
      // csv-parse's escape stays '"' whatever the quote is; a doubled quote character is the CSV escape.
      escape: layout.quote,
      relax_column_count: true,
      skip_empty_lines: true,
      on_record: addRecord,
    };
    // on_record returns null for every record: the values go to `columns`, which csv-parse's types do not model.
    parse(bytes, options as unknown as Options);
  } catch (error) {
    // A malformed record after the first problem is not what the user must fix first: the problem before it is reported.
    // Past bad quoting csv-parse cannot find where records start again: the rest of the range is one error.
    if (!report) {
      if (problems.length === 0) throw await errorAt((error as { lines?: number }).lines, parseFailure(error), error);
    } else {
      // The records before come first; then the rest of the range, from the line after the last record read, is one bad record: nothing is lost.
      for (const problem of problems.splice(0)) report(await errorAt(problem.lines, problem.reason), lineText(bytes, problem.lines) ?? '');
      report(await errorAt(lastLine + 1, parseFailure(error), error), linesFrom(bytes, lastLine + 1));
    }
  }
  if (problems.length > 0 && !report) throw await errorAt(problems[0]!.lines, problems[0]!.reason);
  for (const problem of problems) report!(await errorAt(problem.lines, problem.reason), lineText(bytes, problem.lines) ?? '');
  // A bad last record may have left values past the good ones.
  for (const column of columns) column.length = records;
  if (records === 0) return [];
  const vectors: Record<string, Vector> = {};
  header.forEach((name, i) => {
    vectors[name] = inferVector(name, columns[i]!);
  });
  return new Table(vectors);
}

/** Why the record on lines `[first, last]` (1-based, of a range) is not UTF-8, if one of its lines is not (`invalid`: by 0-based index). */
function invalidUtf8In(invalid: Map<number, string>, first: number, last: number): string | undefined {
  if (invalid.size === 0) return undefined;
  for (let line = first; line <= last; line++) {
    const reason = invalid.get(line - 1);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

/** csv-parse's reason; a quote never closed may be a field that holds newlines, which needs multilineFields. */
function parseFailure(error: unknown): string {
  const message = (error as Error).message;
  const unclosed = (error as { code?: string }).code === 'CSV_QUOTE_NOT_CLOSED';
  return unclosed ? `${message} (if quoted fields hold newlines, set csv.multilineFields: true to read each file whole)` : message;
}

/** The text of `bytes` from its 1-based `line` to its end. */
function linesFrom(bytes: Buffer, line: number): string {
  let start = 0;
  for (let n = 1; n < line; n++) {
    const newline = bytes.indexOf(0x0a, start);
    if (newline === -1) return '';
    start = newline + 1;
  }
  return bytes.toString('utf8', start);
}

/** The text of the 1-based `line` of `bytes`, or undefined without one. */
function lineText(bytes: Buffer, line: number | undefined): string | undefined {
  if (line === undefined || line < 1) return undefined;
  let start = 0;
  for (let n = 1; n < line; n++) {
    const newline = bytes.indexOf(0x0a, start);
    if (newline === -1) return undefined;
    start = newline + 1;
  }
  const end = bytes.indexOf(0x0a, start);
  return bytes.toString('utf8', start, end === -1 ? bytes.length : end);
}

type Converter = (text: string) => unknown;

const INVALID = Symbol('invalid');

/** Adds a record's fields as row `row` of `columns`; returns why they are not a row of the layout, if they are not. */
function addFields(
  fields: string[], header: string[], converters: Converter[], typeNames: CsvColumnType[], columns: unknown[][], row: number, inferred: ReadonlySet<string>,
): string | undefined {
  if (fields.length !== header.length) return `expected ${header.length} fields (${header.join(', ')}), got ${fields.length}`;
  for (let i = 0; i < header.length; i++) {
    const text = fields[i]!;
    const value = text === '' ? null : converters[i]!(text);
    if (value === INVALID) return `column '${header[i]}' expects ${typeNames[i]}, got ${JSON.stringify(text)}${inferredNote(header[i]!, typeNames[i]!, inferred)}`;
    columns[i]![row] = value;
  }
  return undefined;
}

/** A converter for a type inferred from the first rows: a later value that does not keep its text in that type is refused, not changed. */
function inferredConverterFor(type: CsvColumnType): Converter {
  switch (type) {
    case 'number': return (text) => (isPlainInteger(text) || isPlainDecimal(text) ? Number(text) : INVALID);
    default: return converterFor(type);
  }
}

function converterFor(type: CsvColumnType): Converter {
  switch (type) {
    case 'string': return (text) => text;
    case 'number': return (text) => {
      const value = Number(text);
      return text.trim() === '' || Number.isNaN(value) ? INVALID : value;
    };
    case 'integer': return (text) => {
      if (!/^\s*[-+]?\d+\s*$/.test(text)) return INVALID;
      const value = BigInt(text.trim());
      return BigInt.asIntN(64, value) === value ? value : INVALID;
    };
    case 'boolean': return (text) => (text === 'true' ? true : text === 'false' ? false : INVALID);
  }
}

/** The row with its bigints as decimal text and its Dates in ISO 8601, as JSON lines write them. */
function csvSafeRow(row: Row): Row {
  const out: Row = {};
  for (const key in row) {
    const value = row[key];
    out[key] = typeof value === 'bigint' ? value.toString() : value instanceof Date ? value.toISOString() : value;
  }
  return out;
}
