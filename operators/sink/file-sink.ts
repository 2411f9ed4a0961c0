import { mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { OperatorConfigError } from '../../lib/errors/index.js';
import { SinkOperator, type OperatorContext, type TransactionalSink } from '../../lib/operator.js';
import { refuseUnknownOptions } from '../transform/transform-config.js';
import { checkOutputFolder, claimOutputFolder, type OutputClaimant } from './output-claim.js';
import type { Split } from '../../lib/split.js';
import type { SplitPayload } from '../../lib/split-payload.js';
import { namesIn } from './names-in.js';
import { FORMAT_NAMES_TEXT, checkParquetWriteOptions, formatNamed, formatOptionsIn, writePayloadFile, type FileFormat, type FileFormatName, type ParquetWriteOptions } from '../../formats/index.js';

/** The formats FileSink writes: every format FileSource reads. */
export type FileSinkFormat = FileFormatName;

export interface FileSinkConfig {
  /** The output folder; created if missing. */
  path: string;
  /** Default parquet. */
  format?: FileSinkFormat;
  parquet?: ParquetWriteOptions;
}

/** Folder, inside the output folder, where files wait for their checkpoint to commit. */
export const STAGING_DIR = '_staging';

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
  private readonly format: FileFormat;
  private readonly formatOptions: unknown;
  /** What the folder is, for messages. */
  protected readonly what: string = 'FileSink output folder';
  private claimed = false;

  constructor(config: FileSinkConfig, context: OperatorContext) {
    super(config, context);
    // A subclass takes options of its own.
    if (new.target === FileSink) refuseUnknownOptions('FileSink', config, ['path', 'format', 'parquet']);
    refuseUnknownOptions('FileSink parquet', config?.parquet, ['compression', 'rowGroupSize']);
    checkParquetWriteOptions(config?.parquet);
    if (typeof config?.path !== 'string' || config.path === '') throw new OperatorConfigError("FileSink needs 'path', the output folder");
    const name = config.format ?? 'parquet';
    const format = formatNamed(name);
    if (!format) throw new OperatorConfigError(`FileSink format must be ${FORMAT_NAMES_TEXT}, got '${name}'`);
    this.format = format;
    this.formatOptions = formatOptionsIn(config, format);
    this.dir = resolve(config.path);
    this.stagingDir = join(this.dir, STAGING_DIR, `${context.stage}-w${context.workerIndex}`);
  }

  /** Refuses an output folder holding another run's files (`OutputConflictError`) before any split runs: this run would write beside them. */
  override async open(): Promise<void> {
    const claimant = this.claimant();
    if (claimant) await checkOutputFolder(this.dir, claimant);
  }

  async beginTransaction(epoch: number): Promise<void> {
    await mkdir(this.epochDir(epoch), { recursive: true });
  }

  async processSplit(split: Split, payload?: SplitPayload): Promise<null> {
    if (!payload || payload.numRows === 0) return null;
    const file = join(this.epochDir(split.epoch), `part-${split.lineage}${this.format.extensions[0]}`);
    await writePayloadFile(this.format, file, payload, this.formatOptions);
    return null;
  }

  /** Every file staged in epochs up to `epoch`. */
  async preCommit(epoch: number): Promise<FileSinkTransaction> {
    const files: string[] = [];
    for (const name of await namesIn(this.stagingDir)) {
      const staged = /^e(\d+)$/.exec(name);
      if (!staged || Number(staged[1]) > epoch) continue;
      for (const file of await readdir(join(this.stagingDir, name))) files.push(relative(this.dir, join(this.stagingDir, name, file)));
    }
    return { files: files.sort() };
  }

  /** Renames the staged files into place; a file already moved by an earlier commit is skipped. */
  async commit(transaction: FileSinkTransaction): Promise<void> {
    const claimant = this.claimant();
    if (claimant && transaction.files.length > 0 && !this.claimed) {
      await claimOutputFolder(this.dir, claimant, this.stagingDir);
      this.claimed = true;
    }
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

  /**
   * Drops everything this worker staged that no commit took, and what the
   * workers it stands in for staged: in a job restored with fewer workers
   * than its checkpoint had, worker `index % workers` commits, then drops,
   * what worker `index` left.
   */
  async abort(): Promise<void> {
    await rm(this.stagingDir, { recursive: true, force: true });
    const { stage, workerIndex, parallelism } = this.context;
    const pattern = new RegExp(`^${escapeRegExp(stage)}-w(\\d+)$`);
    for (const name of await namesIn(join(this.dir, STAGING_DIR))) {
      const index = Number(pattern.exec(name)?.[1] ?? Number.NaN);
      if (index >= parallelism && index % parallelism === workerIndex) await rm(join(this.dir, STAGING_DIR, name), { recursive: true, force: true });
    }
    await rmdir(join(this.dir, STAGING_DIR)).catch(ignoreNotEmpty);
  }

  override async close(): Promise<void> {
    // Staged files of a failed run stay until a restore commits or aborts them; only empty folders go,
    // an epoch's folder emptied by a worker lost before it removed it too.
    for (const name of await namesIn(this.stagingDir)) {
      if (/^e\d+$/.test(name)) await rmdir(join(this.stagingDir, name)).catch(ignoreNotEmpty);
    }
    await rmdir(this.stagingDir).catch(ignoreNotEmpty);
    await rmdir(join(this.dir, STAGING_DIR)).catch(ignoreNotEmpty);
  }

  /** Who writes the folder: this run of the job, when the sink runs in one. */
  private claimant(): OutputClaimant | undefined {
    const { run, jobId, stage } = this.context;
    return run ? { jobId, stage, run, what: this.what } : undefined;
  }

  private epochDir(epoch: number): string {
    return join(this.stagingDir, `e${epoch}`);
  }
}


function ignoreNotEmpty(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOTEMPTY' && error.code !== 'ENOENT' && error.code !== 'EEXIST') throw error;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
