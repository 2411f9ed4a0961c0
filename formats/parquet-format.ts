/**
 * Parquet through parquet-wasm (the Rust `parquet` crate compiled to
 * WebAssembly), which reads into and writes from Arrow directly. Its Node
 * build loads the WebAssembly module synchronously on import. Footers are
 * read here; data is read in the Parquet reader thread
 * (parquet-reader-thread.ts), where a damaged page cannot crash the process.
 */
import { openAsBlob } from 'node:fs';
import { tableToIPC, type Table } from 'apache-arrow';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import * as pw from 'parquet-wasm';
import { InputFormatError, OperatorConfigError, describeCause } from '../lib/errors/index.js';
import type { SplitPayload } from '../lib/split-payload.js';
import type { FileFormat, FileSplit } from './file-format.js';
import { openToRead } from './line-range.js';
import { parquetReader } from './parquet-reader-thread.js';
import { readRowGroupRange } from './parquet-row-cursor.js';

/**
 * Whole row groups of a Parquet file read together, or, with `rowStart`, rows
 * `[rowStart, rowEnd)` of the one row group in `rowGroups`.
 */
interface ParquetSplit extends FileSplit {
  rowGroups: number[];
  rowStart?: number;
  rowEnd?: number;
  /** Rows of the group a row range is cut from. */
  groupRows?: number;
  /** Whether the group's column chunks all have an offset index, which lets a row range be read on its own. */
  offsetIndex?: boolean;
}

/**
 * Parquet, planned from the footer into splits of at most `batchRows` rows:
 * consecutive row groups are read together up to `batchRows` rows and
 * `splitBytes` (uncompressed) bytes, and a row group of more than `batchRows`
 * rows is cut into row ranges of equal size. The library's errors are plain
 * `Error`s, and a crash of its reader on damaged data is ParquetReaderCrash;
 * they are raised as InputFormatError with the file's name and the row groups
 * or rows that were being read.
 */
export const parquetFormat: FileFormat<never, ParquetWriteOptions> = {
  name: 'parquet',
  extensions: ['.parquet', '.pq'],

  async planSplits(path, { splitBytes, batchRows }): Promise<ParquetSplit[]> {
    // Opened here first: parquet-wasm reads files through a Blob, and a Blob it cannot read (no permission) makes its
    // WebAssembly trap, an exception no caller can catch, instead of an error.
    await (await openToRead(path)).close();
    let layout: ParquetLayout;
    try {
      layout = await readParquetLayout(path);
    } catch (error) {
      throw new InputFormatError({ file: path, reason: `not a readable Parquet file: ${describeCause(error)}`, cause: error });
    }
    const splits: ParquetSplit[] = [];
    let group: number[] = [];
    let rows = 0;
    let bytes = 0;
    const flush = () => {
      if (group.length > 0) splits.push({ path, format: 'parquet', rowGroups: group, rows });
      group = [];
      rows = 0;
      bytes = 0;
    };
    layout.rowGroups.forEach((rowGroup, index) => {
      if (rowGroup.rows > batchRows) {
        flush();
        const rangeRows = Math.ceil(rowGroup.rows / Math.ceil(rowGroup.rows / batchRows));
        for (let rowStart = 0; rowStart < rowGroup.rows; rowStart += rangeRows) {
          const rowEnd = Math.min(rowGroup.rows, rowStart + rangeRows);
          const range: ParquetSplit = {
            path, format: 'parquet', rowGroups: [index], rowStart, rowEnd, rows: rowEnd - rowStart, groupRows: rowGroup.rows, offsetIndex: rowGroup.offsetIndex,
          };
          // Without an offset index the ranges continue one stream over the group (parquet-row-cursor.ts).
          if (!rowGroup.offsetIndex) range.stream = `${path}#${index}`;
          splits.push(range);
        }
        return;
      }
      if (rows + rowGroup.rows > batchRows) flush();
      group.push(index);
      rows += rowGroup.rows;
      bytes += rowGroup.bytes;
      if (bytes >= splitBytes) flush();
    });
    flush();
    return splits;
  },

  /** A row range cut in two; whole row groups are not cut (they are planned at most `batchRows` rows). */
  cut(split, fraction) {
    const range = split as ParquetSplit;
    if (range.rowStart === undefined || range.rowEnd === undefined) return undefined;
    const at = range.rowStart + Math.round((range.rowEnd - range.rowStart) * fraction);
    if (!(at > range.rowStart && at < range.rowEnd)) return undefined;
    return [{ ...range, rowEnd: at, rows: at - range.rowStart }, { ...range, rowStart: at, rows: range.rowEnd - at }];
  },

  async readSplit(split): Promise<Table> {
    const { path, rowGroups, rowStart, rowEnd, groupRows, offsetIndex } = split as ParquetSplit;
    const group = rowGroups[0]!;
    try {
      if (rowStart === undefined || rowEnd === undefined) return await readParquetRowGroups(path, rowGroups);
      const table = offsetIndex ? await readParquetRows(path, group, rowStart, rowEnd) : await readRowGroupRange(path, group, rowStart, rowEnd, groupRows ?? rowEnd);
      // A file changed since it was planned (a restore reuses the plan) must not pass for the rows planned.
      if (table.numRows !== rowEnd - rowStart) throw new Error(`got ${table.numRows} rows; the row group is not the one planned`);
      return table;
    } catch (error) {
      const what = rowStart === undefined ? `row groups ${rowGroups.join(', ')}` : `rows ${rowStart}-${rowEnd} of row group ${group}`;
      throw new InputFormatError({ file: path, reason: `cannot read ${what}: ${describeCause(error)}`, cause: error });
    }
  },

  encode(payload: SplitPayload, options): Uint8Array {
    return encodeParquet(payload.toTable(), options);
  },
};

/** Rows per Arrow record batch when reading (the library's default, 1024, makes a thousand batches per million rows). */
const READ_BATCH_ROWS = 64 * 1024;

export interface ParquetLayout {
  rowGroups: { rows: number; bytes: number; offsetIndex: boolean }[];
}

/**
 * Row group sizes of a Parquet file, read from its footer only, and whether
 * each group has an offset index: parquet-wasm's metadata does not say, so
 * hyparquet reads that from the same footer.
 */
export async function readParquetLayout(path: string): Promise<ParquetLayout> {
  const file = await pw.ParquetFile.fromFile(await openAsBlob(path));
  let groups: { rows: number; bytes: number }[];
  try {
    groups = file.metadata().rowGroups().map((group) => ({ rows: group.numRows(), bytes: group.totalByteSize() }));
  } finally {
    file.free();
  }
  const footer = await parquetMetadataAsync(await asyncBufferFromFile(path));
  return {
    rowGroups: groups.map((group, index) => ({
      ...group,
      offsetIndex: footer.row_groups[index]?.columns.every((column) => column.offset_index_offset !== undefined) ?? false,
    })),
  };
}

/** Reads the given row groups of a Parquet file. */
export function readParquetRowGroups(path: string, rowGroups: number[]): Promise<Table> {
  return parquetReader.read(path, { rowGroups, batchSize: READ_BATCH_ROWS });
}

/**
 * Rows `[start, end)` of one row group that has an offset index: the reader
 * finds the pages that hold them from the index and decodes only those.
 */
export function readParquetRows(path: string, rowGroup: number, start: number, end: number): Promise<Table> {
  return parquetReader.read(path, { rowGroups: [rowGroup], offset: start, limit: end - start, batchSize: READ_BATCH_ROWS });
}

export interface ParquetWriteOptions {
  /** Default snappy. */
  compression?: 'uncompressed' | 'snappy' | 'gzip' | 'zstd' | 'lz4';
  /** Rows per row group. Default 128 Ki. */
  rowGroupSize?: number;
}

const COMPRESSION = {
  uncompressed: 'UNCOMPRESSED',
  snappy: 'SNAPPY',
  gzip: 'GZIP',
  zstd: 'ZSTD',
  lz4: 'LZ4_RAW',
} as const;

/** Throws OperatorConfigError for Parquet write options it cannot honour. */
export function checkParquetWriteOptions(options: ParquetWriteOptions | undefined): void {
  if (options?.compression !== undefined && !Object.hasOwn(COMPRESSION, options.compression)) {
    throw new OperatorConfigError(`parquet.compression must be ${Object.keys(COMPRESSION).map((name) => `'${name}'`).join(', ')}, got ${JSON.stringify(options.compression)}`);
  }
  const rows = options?.rowGroupSize;
  if (rows !== undefined && !(Number.isInteger(rows) && rows >= 1)) throw new OperatorConfigError(`parquet.rowGroupSize must be a whole number of rows, 1 or more, got ${JSON.stringify(rows)}`);
}

/** Encodes an Arrow table as a Parquet file. */
export function encodeParquet(table: Table, options: ParquetWriteOptions = {}): Uint8Array {
  const properties = new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression[COMPRESSION[options.compression ?? 'snappy']])
    .setMaxRowGroupSize(options.rowGroupSize ?? 128 * 1024)
    .build();
  return pw.writeParquet(pw.Table.fromIPCStream(tableToIPC(table, 'stream')), properties);
}
