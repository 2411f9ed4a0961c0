import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { columnNames, type Row } from '../../lib/arrow-rows.js';
import { OperatorConfigError } from '../../lib/errors.js';
import { SinkOperator, type OperatorContext } from '../../lib/operator.js';
import { encodeParquet, type ParquetWriteOptions } from '../../lib/parquet-codec.js';
import type { Split } from '../../lib/split.js';
import type { SplitPayload } from '../../lib/split-payload.js';

export type FileSinkFormat = 'jsonl' | 'csv' | 'parquet';

export interface FileSinkConfig {
  /** The output folder; created if missing. */
  path: string;
  /** Default parquet. */
  format?: FileSinkFormat;
  parquet?: ParquetWriteOptions;
}

/** Folder, inside the output folder, where files are written before they are renamed into place. */
export const STAGING_DIR = '_staging';

const EXTENSIONS: Record<FileSinkFormat, string> = { jsonl: 'jsonl', csv: 'csv', parquet: 'parquet' };

/**
 * Writes one file per split, `part-<lineage>.<ext>`, named from the split id so
 * that a split written again replaces its file. A file is written under
 * `_staging/` and renamed into place whole, so no reader sees a partial file.
 */
export class FileSink extends SinkOperator<FileSinkConfig> {
  private readonly dir: string;
  private readonly stagingDir: string;
  private readonly format: FileSinkFormat;

  constructor(config: FileSinkConfig, context: OperatorContext) {
    super(config, context);
    if (typeof config?.path !== 'string' || config.path === '') throw new OperatorConfigError("FileSink needs 'path', the output folder");
    this.format = config.format ?? 'parquet';
    if (!(this.format in EXTENSIONS)) throw new OperatorConfigError(`FileSink format must be jsonl, csv or parquet, got '${this.format}'`);
    this.dir = resolve(config.path);
    this.stagingDir = join(this.dir, STAGING_DIR, `${context.stage}-${context.workerIndex}-${randomUUID().slice(0, 8)}`);
  }

  override async open(): Promise<void> {
    await mkdir(this.stagingDir, { recursive: true });
  }

  async processSplit(split: Split, payload?: SplitPayload): Promise<null> {
    if (!payload || payload.numRows === 0) return null;
    const name = `part-${split.lineage}.${EXTENSIONS[this.format]}`;
    const staged = join(this.stagingDir, name);
    try {
      await writeFile(staged, this.encode(payload));
      await rename(staged, join(this.dir, name));
    } catch (error) {
      await rm(staged, { force: true });
      throw error;
    }
    return null;
  }

  override async close(): Promise<void> {
    await rm(this.stagingDir, { recursive: true, force: true });
    await rmdir(join(this.dir, STAGING_DIR)).catch((error: NodeJS.ErrnoException) => {
      // Another worker of the stage may still be writing into its own staging folder.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'ENOENT' && error.code !== 'EEXIST') throw error;
    });
  }

  private encode(payload: SplitPayload): Uint8Array | string {
    switch (this.format) {
      case 'parquet':
        return encodeParquet(payload.toTable(), this.config.parquet);
      case 'jsonl':
        return encodeJsonLines(payload.toRows());
      case 'csv':
        const rows = payload.toRows();
        return stringify(rows.map(csvSafeRow), { header: true, columns: columnNames(rows) });
    }
  }
}

function encodeJsonLines(rows: Row[]): string {
  let out = '';
  for (const row of rows) out += `${JSON.stringify(row, jsonSafe)}\n`;
  return out;
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value !== 'bigint') return value;
  return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
}

function csvSafeRow(row: Row): Row {
  const out: Row = {};
  for (const key in row) {
    const value = row[key];
    out[key] = typeof value === 'bigint' ? value.toString() : value;
  }
  return out;
}
