import { mkdir, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { columnNames, type Row } from '../../lib/arrow-rows.js';
import { OperatorConfigError } from '../../lib/errors/index.js';
import { SinkOperator, type OperatorContext, type TransactionalSink } from '../../lib/operator.js';
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

/** Folder, inside the output folder, where files wait for their checkpoint to commit. */
export const STAGING_DIR = '_staging';

const EXTENSIONS: Record<FileSinkFormat, string> = { jsonl: 'jsonl', csv: 'csv', parquet: 'parquet' };

/** What a FileSink pre-commits: staged files, relative to the output folder. */
export interface FileSinkTransaction {
  files: string[];
}

/**
 * Writes one file per split, `part-<lineage>.<ext>`, named from the split id so
 * that a split written again replaces its file. Files are staged under
 * `_staging/<stage>-w<worker>/e<epoch>/` and renamed into the output folder
 * when the checkpoint covering their epoch completes (a two-phase commit), so
 * only committed files are ever visible and a replayed split never leaves a
 * second copy.
 */
export class FileSink extends SinkOperator<FileSinkConfig> implements TransactionalSink<FileSinkTransaction> {
  private readonly dir: string;
  private readonly stagingDir: string;
  private readonly format: FileSinkFormat;

  constructor(config: FileSinkConfig, context: OperatorContext) {
    super(config, context);
    if (typeof config?.path !== 'string' || config.path === '') throw new OperatorConfigError("FileSink needs 'path', the output folder");
    this.format = config.format ?? 'parquet';
    if (!(this.format in EXTENSIONS)) throw new OperatorConfigError(`FileSink format must be jsonl, csv or parquet, got '${this.format}'`);
    this.dir = resolve(config.path);
    this.stagingDir = join(this.dir, STAGING_DIR, `${context.stage}-w${context.workerIndex}`);
  }

  async beginTransaction(epoch: number): Promise<void> {
    await mkdir(this.epochDir(epoch), { recursive: true });
  }

  async processSplit(split: Split, payload?: SplitPayload): Promise<null> {
    if (!payload || payload.numRows === 0) return null;
    await writeFile(join(this.epochDir(split.epoch), `part-${split.lineage}.${EXTENSIONS[this.format]}`), this.encode(payload), { flush: true });
    return null;
  }

  /** Every file staged in epochs up to `epoch`. */
  async preCommit(epoch: number): Promise<FileSinkTransaction> {
    const files: string[] = [];
    for (const name of await readdir(this.stagingDir).catch(ignoreMissing)) {
      const staged = /^e(\d+)$/.exec(name);
      if (!staged || Number(staged[1]) > epoch) continue;
      for (const file of await readdir(join(this.stagingDir, name))) files.push(relative(this.dir, join(this.stagingDir, name, file)));
    }
    return { files: files.sort() };
  }

  /** Renames the staged files into place; a file already moved by an earlier commit is skipped. */
  async commit(transaction: FileSinkTransaction): Promise<void> {
    const emptied = new Set<string>();
    for (const file of transaction.files) {
      const staged = join(this.dir, file);
      try {
        await rename(staged, join(this.dir, basename(file)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      emptied.add(dirname(staged));
    }
    for (const dir of emptied) await rmdir(dir).catch(ignoreNotEmpty);
  }

  /** Drops everything this worker staged that no commit took. */
  async abort(): Promise<void> {
    await rm(this.stagingDir, { recursive: true, force: true });
    await rmdir(join(this.dir, STAGING_DIR)).catch(ignoreNotEmpty);
  }

  override async close(): Promise<void> {
    // Staged files of a failed run stay until a restore commits or aborts them; only empty folders go.
    await rmdir(this.stagingDir).catch(ignoreNotEmpty);
    await rmdir(join(this.dir, STAGING_DIR)).catch(ignoreNotEmpty);
  }

  private epochDir(epoch: number): string {
    return join(this.stagingDir, `e${epoch}`);
  }

  private encode(payload: SplitPayload): Uint8Array | string {
    switch (this.format) {
      case 'parquet':
        return encodeParquet(payload.toTable(), this.config.parquet);
      case 'jsonl':
        return encodeJsonLines(payload.toRows());
      case 'csv': {
        const rows = payload.toRows();
        return stringify(rows.map(csvSafeRow), { header: true, columns: columnNames(rows) });
      }
    }
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): string[] {
  if (error.code === 'ENOENT') return [];
  throw error;
}

function ignoreNotEmpty(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOTEMPTY' && error.code !== 'ENOENT' && error.code !== 'EEXIST') throw error;
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
