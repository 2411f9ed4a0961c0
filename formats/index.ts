/** The file formats FileSource reads and FileSink writes, by name and by file extension. A new format is one module and one line here. */
import { extname } from 'node:path';
import { csvFormat } from './csv-format.js';
import type { FileFormat } from './file-format.js';
import { holdsJsonArray, jsonArrayFormat } from './json-array-format.js';
import { jsonLinesFormat } from './jsonl-format.js';
import { parquetFormat } from './parquet-format.js';
export { checkParquetWriteOptions } from './parquet-format.js';

const FORMATS = {
  jsonl: jsonLinesFormat,
  json: jsonArrayFormat,
  csv: csvFormat,
  parquet: parquetFormat,
} satisfies Record<string, FileFormat>;

/** The name of a format, as `format` says it in FileSource's and FileSink's configs. */
export type FileFormatName = keyof typeof FORMATS;

const NAMES = Object.keys(FORMATS);

/** The names of all formats for a message: `jsonl, json, csv or parquet`. */
export const FORMAT_NAMES_TEXT = `${NAMES.slice(0, -1).join(', ')} or ${NAMES.at(-1)}`;

/** The format called `name`, or undefined. */
export function formatNamed(name: string): FileFormat | undefined {
  return Object.hasOwn(FORMATS, name) ? FORMATS[name as FileFormatName] : undefined;
}

/** The format whose extensions include `path`'s (case-insensitive), or undefined. */
export function formatOfPath(path: string): FileFormat | undefined {
  const extension = extname(path).toLowerCase();
  return Object.values(FORMATS).find((format) => format.extensions.includes(extension));
}

/**
 * The format of the file at `path`, from its extension; a `.json` file is
 * read for its first character: a JSON array when it is `[`, else JSON lines
 * (one object per line, as `.json` files often hold too).
 */
export async function formatOfFile(path: string): Promise<FileFormat | undefined> {
  const format = formatOfPath(path);
  if (format !== jsonArrayFormat) return format;
  return (await holdsJsonArray(path)) ? jsonArrayFormat : jsonLinesFormat;
}

/** The options an operator's config holds for `format`: the value under the format's name (`csv: {...}`, `parquet: {...}`). */
export function formatOptionsIn(config: object, format: FileFormat): unknown {
  return (config as Record<string, unknown>)[format.name];
}

export type { FileFormat, FileSplit, PlanOptions } from './file-format.js';
export { writePayloadFile } from './file-format.js';
export type { CsvColumnType, CsvOptions } from './csv-format.js';
export { CSV_COLUMN_TYPES } from './csv-format.js';
export type { ParquetWriteOptions } from './parquet-format.js';
