/**
 * Parquet through parquet-wasm (the Rust `parquet` crate compiled to
 * WebAssembly), which reads into and writes from Arrow directly. Its Node
 * build loads the WebAssembly module synchronously on import.
 */
import { openAsBlob } from 'node:fs';
import { tableFromIPC, tableToIPC, type Table } from 'apache-arrow';
import * as pw from 'parquet-wasm';

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
