/**
 * Parquet through parquet-wasm (the Rust `parquet` crate compiled to
 * WebAssembly), which reads into and writes from Arrow directly. Loaded once
 * per process, on first use.
 */
import { openAsBlob, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tableFromIPC, tableToIPC, type Table } from 'apache-arrow';
import * as parquetWasm from 'parquet-wasm/esm';

let initialized = false;

function wasm(): typeof parquetWasm {
  if (!initialized) {
    const require = createRequire(import.meta.url);
    parquetWasm.initSync({ module: readFileSync(require.resolve('parquet-wasm/esm/parquet_wasm_bg.wasm')) });
    initialized = true;
  }
  return parquetWasm;
}

export interface ParquetLayout {
  rowGroups: { rows: number; bytes: number }[];
}

/** Row group sizes of a Parquet file, read from its footer only. */
export async function readParquetLayout(path: string): Promise<ParquetLayout> {
  const file = await wasm().ParquetFile.fromFile(await openAsBlob(path));
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
  const file = await wasm().ParquetFile.fromFile(await openAsBlob(path));
  try {
    const table = await file.read({ rowGroups });
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
  const pw = wasm();
  const properties = new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression[COMPRESSION[options.compression ?? 'snappy']])
    .setMaxRowGroupSize(options.rowGroupSize ?? 128 * 1024)
    .build();
  return pw.writeParquet(pw.Table.fromIPCStream(tableToIPC(table, 'stream')), properties);
}
