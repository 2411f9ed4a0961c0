import { stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { InputFormatError, InputNotFoundError, OperatorConfigError } from '../../lib/errors/index.js';
import { SourceOperator } from '../../lib/operator.js';
import { readParquetLayout, readParquetRowGroups } from '../../lib/parquet-codec.js';
import type { DataRange, Split } from '../../lib/split.js';
import { SplitPayload } from '../../lib/split-payload.js';
import { readCsvLayout, readCsvRange, type CsvLayout, type CsvOptions } from './formats/csv-format.js';
import { readJsonLines } from './formats/jsonl-format.js';

export type FileFormat = 'jsonl' | 'csv' | 'parquet';

export interface FileSourceConfig {
  /** Files, folders (every file below) or glob patterns; relative to the working directory. */
  paths: string | string[];
  /** The files' format. Default: from each file's extension (.jsonl/.ndjson, .csv, .parquet). */
  format?: FileFormat;
  /**
   * Target bytes per split. JSON lines and CSV files larger than this are read
   * as several byte ranges; Parquet row groups are grouped up to it. Default 16 MiB.
   */
  splitBytes?: number;
  /** CSV dialect and column types. */
  csv?: CsvOptions;
}

const DEFAULT_SPLIT_BYTES = 16 * 1024 * 1024;

interface FileRange extends DataRange {
  path: string;
  format: FileFormat;
  start?: number;
  end?: number;
  rowGroups?: number[];
  csvLayout?: CsvLayout;
}

/** Reads JSON lines, CSV and Parquet files, splitting big files so they are read in parallel. */
export class FileSource extends SourceOperator<FileSourceConfig> {
  async planSplits(): Promise<DataRange[]> {
    const files = await expandPaths(this.config.paths);
    const splitBytes = this.config.splitBytes ?? DEFAULT_SPLIT_BYTES;
    if (!(splitBytes > 0)) throw new OperatorConfigError('FileSource splitBytes must be a positive number');
    const ranges: FileRange[] = [];
    for (const path of files) {
      const format = this.config.format ?? formatOf(path);
      if (format === 'parquet') ranges.push(...(await planParquet(path, splitBytes)));
      else if (format === 'csv') ranges.push(...(await planCsv(path, splitBytes, this.config.csv ?? {})));
      else ranges.push(...byteRanges(path, 'jsonl', (await stat(path)).size, splitBytes));
    }
    return ranges;
  }

  async processSplit(split: Split): Promise<SplitPayload | null> {
    const range = split.range as FileRange;
    switch (range.format) {
      case 'jsonl':
        return SplitPayload.fromRows(await readJsonLines({ path: range.path, start: range.start!, end: range.end! }), split.splitId);
      case 'csv':
        return SplitPayload.fromRows(
          await readCsvRange({ path: range.path, start: range.start!, end: range.end! }, range.csvLayout!),
          split.splitId,
        );
      case 'parquet':
        return SplitPayload.fromTable(await readParquet(range.path, range.rowGroups!), split.splitId);
    }
  }
}

/** The files named by paths, folders and globs, sorted, each once. */
export async function expandPaths(paths: string | string[]): Promise<string[]> {
  const list = typeof paths === 'string' ? [paths] : paths;
  if (!Array.isArray(list) || list.length === 0) throw new OperatorConfigError("FileSource needs 'paths': a path, folder or glob, or a list of them");
  const files = new Set<string>();
  for (const pattern of list) {
    let matched: string[];
    if (isDynamicPattern(pattern)) {
      matched = await glob(pattern, { absolute: true, onlyFiles: true });
    } else {
      const absolute = resolve(pattern);
      const info = await stat(absolute).catch(() => undefined);
      if (!info) throw new InputNotFoundError(pattern);
      matched = info.isDirectory()
        ? await glob('**/*', { cwd: absolute, absolute: true, onlyFiles: true, ignore: ['**/_*', '**/.*'] })
        : [absolute];
    }
    if (matched.length === 0) throw new InputNotFoundError(pattern);
    for (const file of matched) files.add(resolve(file));
  }
  return [...files].sort();
}

function formatOf(path: string): FileFormat {
  switch (extname(path).toLowerCase()) {
    case '.jsonl':
    case '.ndjson':
    case '.json':
      return 'jsonl';
    case '.csv':
      return 'csv';
    case '.parquet':
    case '.pq':
      return 'parquet';
    default:
      throw new OperatorConfigError(`Cannot tell the format of '${path}' from its extension; set FileSource's 'format'`);
  }
}

function byteRanges(path: string, format: FileFormat, size: number, splitBytes: number): FileRange[] {
  const ranges: FileRange[] = [];
  for (let start = 0; start < size; start += splitBytes) ranges.push({ path, format, start, end: Math.min(size, start + splitBytes) });
  return ranges;
}

async function planCsv(path: string, splitBytes: number, options: CsvOptions): Promise<FileRange[]> {
  const { size } = await stat(path);
  if (size === 0) throw new InputFormatError({ file: path, line: 1, reason: 'empty file: a CSV file needs a header line' });
  const csvLayout = await readCsvLayout(path, options);
  const ranges = options.multilineFields ? [{ path, format: 'csv' as const, start: 0, end: size }] : byteRanges(path, 'csv', size, splitBytes);
  return ranges.map((range) => ({ ...range, csvLayout }));
}

async function planParquet(path: string, splitBytes: number): Promise<FileRange[]> {
  let layout;
  try {
    layout = await readParquetLayout(path);
  } catch (error) {
    throw new InputFormatError({ file: path, reason: `not a readable Parquet file: ${describe(error)}`, cause: error });
  }
  const ranges: FileRange[] = [];
  let group: number[] = [];
  let bytes = 0;
  layout.rowGroups.forEach((rowGroup, index) => {
    group.push(index);
    bytes += rowGroup.bytes;
    if (bytes >= splitBytes) {
      ranges.push({ path, format: 'parquet', rowGroups: group });
      group = [];
      bytes = 0;
    }
  });
  if (group.length > 0) ranges.push({ path, format: 'parquet', rowGroups: group });
  return ranges;
}

async function readParquet(path: string, rowGroups: number[]) {
  try {
    return await readParquetRowGroups(path, rowGroups);
  } catch (error) {
    throw new InputFormatError({
      file: path,
      reason: `cannot read row groups ${rowGroups.join(', ')}: ${describe(error)}`,
      cause: error,
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
