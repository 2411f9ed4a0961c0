/**
 * Parquet through parquet-wasm (the Rust `parquet` crate compiled to
 * WebAssembly), which reads into and writes from Arrow directly. Its Node
 * build loads the WebAssembly module synchronously on import.
 */
import { openAsBlob } from 'node:fs';
import { tableFromIPC, tableToIPC, type Table } from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { InputFormatError, describeCause } from '../lib/errors/index.js';
import type { SplitPayload } from '../lib/split-payload.js';
import type { FileFormat, FileSplit } from './file-format.js';

/** Row groups of a Parquet file, read together. */
interface ParquetSplit extends FileSplit {
  rowGroups: number[];
}

/**
 * Parquet, split by row groups: consecutive groups are read together up to
 * the split size. The library's errors are plain `Error`s; they are raised as
 * InputFormatError with the file's name.
 */
export const parquetFormat: FileFormat<never, ParquetWriteOptions> = {
  name: 'parquet',
  extensions: ['.parquet', '.pq'],

  async planSplits(path, { splitBytes }): Promise<ParquetSplit[]> {
    let layout;
    try {
      layout = await readParquetLayout(path);
    } catch (error) {
      throw new InputFormatError({ file: path, reason: `not a readable Parquet file: ${describeCause(error)}`, cause: error });
    }
    const splits: ParquetSplit[] = [];
    let group: number[] = [];
    let bytes = 0;
    layout.rowGroups.forEach((rowGroup, index) => {
      group.push(index);
      bytes += rowGroup.bytes;
      if (bytes >= splitBytes) {
        splits.push({ path, format: 'parquet', rowGroups: group });
        group = [];
        bytes = 0;
      }
    });
    if (group.length > 0) splits.push({ path, format: 'parquet', rowGroups: group });
    return splits;
  },

  async readSplit(split): Promise<Table> {
    const { path, rowGroups } = split as ParquetSplit;
    try {
      return await readParquetRowGroups(path, rowGroups);
    } catch (error) {
      throw new InputFormatError({
        file: path,
        reason: `cannot read row groups ${rowGroups.join(', ')}: ${describeCause(error)}`,
        cause: error,
      });
    }
  },

  encode(payload: SplitPayload, options): Uint8Array {
    return encodeParquet(payload.toTable(), options);
  },
};

/** Rows per Arrow record batch when reading (the library's default, 1024, makes a thousand batches per million rows). */
const READ_BATCH_ROWS = 64 * 1024;

export interface ParquetLayout {
  rowGroups: { rows: number; bytes: number }[];
}

/** Row group sizes of a Parquet file, read from its footer only. */
export async function readParquetLayout(path: string): Promise<ParquetLayout> {
  const file = await pw.ParquetFile.fromFile(await openAsBlob(path));
  try {
    const metadata = file.metadata();
    return {
      rowGroups: metadata.rowGroups().map((group) => ({ rows: group.numRows(), bytes: group.totalByteSize() })),
    };
  } finally {
    file.free();
  }
}

/** Reads the given row groups of a Parquet file. */
export async function readParquetRowGroups(path: string, rowGroups: number[]): Promise<Table> {
  const file = await pw.ParquetFile.fromFile(await openAsBlob(path));
  try {
    const table = await file.read({ rowGroups, batchSize: READ_BATCH_ROWS });
    return tableFromIPC(table.intoIPCStream());
  } finally {
    file.free();
  }
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

/** Encodes an Arrow table as a Parquet file. */
export function encodeParquet(table: Table, options: ParquetWriteOptions = {}): Uint8Array {
  const properties = new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression[COMPRESSION[options.compression ?? 'snappy']])
    .setMaxRowGroupSize(options.rowGroupSize ?? 128 * 1024)
    .build();
  return pw.writeParquet(pw.Table.fromIPCStream(tableToIPC(table, 'stream')), properties);
}
