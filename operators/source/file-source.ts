import { stat } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { InputNotFoundError, OperatorConfigError } from '../../lib/errors/index.js';
import { SourceOperator, type OperatorContext } from '../../lib/operator.js';
import { refuseUnknownOptions } from '../transform/transform-config.js';
import type { DataRange, Split } from '../../lib/split.js';
import { SplitPayload } from '../../lib/split-payload.js';
import { CSV_COLUMN_TYPES, FORMAT_NAMES_TEXT, formatNamed, formatOptionsIn, formatOfFile, type CsvOptions, type FileFormat, type FileFormatName, type FileSplit } from '../../formats/index.js';

export interface FileSourceConfig {
  /** Files, folders (every file below) or glob patterns; relative to the working directory. */
  paths: string | string[];
  /**
   * The files' format: `jsonl` (one JSON object per line), `json` (a file
   * holding one JSON array of objects), `csv` or `parquet`. Default: from each
   * file's extension: `.jsonl`/`.ndjson` JSON lines, `.csv`, `.parquet`/`.pq`,
   * and `.json` by its first character: `json` when it is `[` (after a byte
   * order mark and whitespace), else JSON lines.
   */
  format?: FileFormatName;
  /**
   * Target bytes per split. JSON lines, JSON array and CSV files larger than
   * this are read as several byte ranges; Parquet row groups are grouped up
   * to it (uncompressed). Default 16 MiB.
   */
  splitBytes?: number;
  /**
   * Most rows per split, whatever the file layout: Parquet row groups are
   * grouped up to it and a bigger group is cut into row ranges; JSON lines and
   * CSV byte ranges are sized to hold about this many lines, from the mean line
   * length of each file's first MiB; a JSON array's byte ranges hold at most
   * this many elements, counted when planning. Default 65536: a few MB of
   * decoded rows, small enough that memory follows the batch, not the file,
   * and large enough that per-split costs (messages, checkpoints) stay
   * negligible.
   */
  batchRows?: number;
  /** CSV dialect and column types. */
  csv?: CsvOptions;
}

const DEFAULT_SPLIT_BYTES = 16 * 1024 * 1024;
const DEFAULT_BATCH_ROWS = 64 * 1024;

/** Reads the files of every format in `formats/` as splits of bounded rows and bytes, so big files are read in parallel and in bounded memory. */
export class FileSource extends SourceOperator<FileSourceConfig> {
  constructor(config: FileSourceConfig, context: OperatorContext) {
    super(config, context);
    // A subclass takes options of its own.
    if (new.target === FileSource) refuseUnknownOptions('FileSource', config, ['paths', 'format', 'splitBytes', 'batchRows', 'csv']);
    refuseUnknownOptions('FileSource csv', config?.csv, ['delimiter', 'quote', 'columnTypes', 'multilineFields']);
    if (config?.format !== undefined) sourceFormat(config.format);
    for (const [column, type] of Object.entries(config?.csv?.columnTypes ?? {})) {
      if (!CSV_COLUMN_TYPES.includes(type)) {
        throw new OperatorConfigError(`FileSource csv.columnTypes.${column} must be ${CSV_COLUMN_TYPES.map((name) => `'${name}'`).join(', ')}, got ${JSON.stringify(type)}`);
      }
    }
  }

  async planSplits(): Promise<DataRange[]> {
    const files = await expandPaths(this.config.paths);
    const splitBytes = this.config.splitBytes ?? DEFAULT_SPLIT_BYTES;
    if (!(splitBytes > 0)) throw new OperatorConfigError('FileSource splitBytes must be a positive number');
    const batchRows = this.config.batchRows ?? DEFAULT_BATCH_ROWS;
    if (!Number.isSafeInteger(batchRows) || batchRows < 1) throw new OperatorConfigError(`FileSource batchRows must be a positive integer, got ${String(batchRows)}`);
    const named = this.config.format === undefined ? undefined : sourceFormat(this.config.format);
    const splits: FileSplit[] = [];
    for (const path of files) {
      const format = named ?? (await formatOf(path));
      splits.push(...(await format.planSplits(path, { splitBytes, batchRows, options: formatOptionsIn(this.config, format) })));
    }
    return splits;
  }

  override cutRange(range: DataRange, fraction: number): [DataRange, DataRange] | undefined {
    const split = range as FileSplit;
    return sourceFormat(split.format).cut?.(split, fraction);
  }

  async processSplit(split: Split): Promise<SplitPayload | null> {
    const range = split.range as FileSplit;
    const records = await sourceFormat(range.format).readSplit(range, (error, text) => {
      this.context.badRecord({ error, record: text, file: error.file, ...(error.line === undefined ? {} : { line: error.line }) });
    });
    return Array.isArray(records) ? SplitPayload.fromRows(records, split.splitId) : SplitPayload.fromTable(records, split.splitId);
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
      // As in a folder: what the pattern's wildcards match skips names starting with _ or . (a sink's _staging/, hidden files).
      const base = staticBase(pattern);
      matched = (await glob(pattern, { absolute: true, onlyFiles: true })).filter((file) => !relative(resolve(base), file).split(sep).some((part) => /^[_.]/.test(part)));
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

/** The folder a glob pattern starts from: its segments before the first with a wildcard. */
function staticBase(pattern: string): string {
  const segments = pattern.split('/');
  const first = segments.findIndex((segment) => isDynamicPattern(segment));
  return segments.slice(0, first).join('/') || '.';
}

async function formatOf(path: string): Promise<FileFormat> {
  const format = await formatOfFile(path);
  if (!format) throw new OperatorConfigError(`Cannot tell the format of '${path}' from its extension; set FileSource's 'format'`);
  return format;
}

function sourceFormat(name: string): FileFormat {
  const format = formatNamed(name);
  if (!format) throw new OperatorConfigError(`FileSource format must be ${FORMAT_NAMES_TEXT}, got '${name}'`);
  return format;
}
