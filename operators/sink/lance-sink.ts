import { OperatorConfigError } from '../../lib/errors/index.js';
import { SinkOperator, type CommittingTogetherSink, type OperatorContext } from '../../lib/operator.js';
import type { Split } from '../../lib/split.js';
import type { SplitPayload } from '../../lib/split-payload.js';
import { LanceCommitter } from '../lance/lance-committer.js';
import type { LanceWriteMode } from '../lance/lance-write-mode.js';
import { lanceLocation, type StorageOptions } from '../lance/lance-location.js';
import { LanceStaging } from '../lance/lance-staging.js';
import { LanceTargetSchema } from '../lance/lance-target-schema.js';

export interface LanceSinkConfig {
  /** The table's location: a path or an object store URI ending in its folder (`out/slices.lance`, `s3://bucket/slices.lance`). */
  uri: string;
  /**
   * `create` (the default): a new table, an error if one is there that this
   * run of the job did not make (its restores go on with it); `append`: adds to the table, creating it if missing;
   * `overwrite`: replaces the table's rows, at once, when the job ends.
   */
  mode?: LanceWriteMode;
  /** Object store credentials and endpoint, as LanceDB takes them (`aws_access_key_id`, `aws_secret_access_key`, `aws_endpoint`, `aws_region`, `allow_http`). */
  storageOptions?: StorageOptions;
}

/** What a LanceSink worker pre-commits: the parts it staged for a checkpoint. */
export interface LanceSinkTransaction {
  checkpointId: number;
  parts: string[];
}

const MODES: readonly LanceWriteMode[] = ['create', 'append', 'overwrite'];

/**
 * Writes rows to a Lance table, exactly once. Each split's rows are staged as
 * a table of their own beside the target (`LanceStaging`); when a checkpoint
 * completes, one worker commits what all workers staged up to it as one Lance
 * commit (`LanceCommitter`), so readers see whole checkpoints, and a commit
 * repeated after a crash is recognised and not applied twice. Nothing is
 * held in memory between splits, so nothing is lost at close: the job's
 * final checkpoint commits the last splits. A split whose rows the table
 * cannot take (`LanceTargetSchema`) is refused as it is processed, with
 * TableSchemaError, so the stage's `onError` applies to it.
 */
export class LanceSink extends SinkOperator<LanceSinkConfig> implements CommittingTogetherSink<LanceSinkTransaction> {
  private readonly staging: LanceStaging;
  private readonly committer: LanceCommitter;
  private readonly target: LanceTargetSchema;
  private commits: Promise<void> = Promise.resolve();

  constructor(config: LanceSinkConfig, context: OperatorContext) {
    super(config, context);
    const location = lanceLocation(config?.uri, config?.storageOptions, 'LanceSink');
    const mode = config.mode ?? 'create';
    if (!MODES.includes(mode)) throw new OperatorConfigError(`LanceSink mode must be ${MODES.map((m) => `'${m}'`).join(', ')}, got '${String(mode)}'`);
    this.staging = new LanceStaging(location, context.jobId, context.stage);
    this.committer = new LanceCommitter(location, this.staging, mode, context.jobId, context.stage, context.logger, context.run);
    this.target = new LanceTargetSchema(location, this.staging, mode);
  }

  override async open(): Promise<void> {
    if (this.context.workerIndex === 0) await this.committer.checkCreatable();
  }

  beginTransaction(): void {}

  async processSplit(split: Split, payload?: SplitPayload): Promise<null> {
    if (!payload || payload.numRows === 0) return null;
    const rows = payload.toTable();
    await this.target.check(rows, split.splitId, split.epoch);
    await this.staging.write(this.context.workerIndex, split.epoch, split.lineage, rows);
    return null;
  }

  /** The parts this worker (or the lost worker it replaced) staged in epochs up to `epoch`. */
  async preCommit(epoch: number): Promise<LanceSinkTransaction> {
    const parts = (await this.staging.list(this.context.workerIndex)).filter((part) => part.epoch <= epoch);
    return { checkpointId: epoch, parts: parts.map((part) => part.name) };
  }

  /** Not used: LanceSink's workers commit together (`commitTogether`). */
  async commit(transaction: LanceSinkTransaction): Promise<void> {
    await this.commitTogether([transaction], { final: false, restore: false });
  }

  commitTogether(transactions: LanceSinkTransaction[], { final, restore }: { final: boolean; restore: boolean }): Promise<void> {
    if (transactions.length === 0) return this.commits;
    const checkpointId = Math.max(...transactions.map((transaction) => transaction.checkpointId));
    // A restored job's parts of the checkpoint's own epoch may be committed already; a running job's cannot.
    const expected = restore ? [] : transactions.flatMap((transaction) => transaction.parts).filter((name) => name.includes(`-e${checkpointId}-`));
    const next = this.commits.then(() => this.committer.commit(checkpointId, final, expected));
    this.commits = next.catch(() => undefined);
    return next;
  }

  /** Drops what the stage's workers staged that no commit took (in overwrite mode, keeps what waits for the final commit). */
  async abort(): Promise<void> {
    const dropped = (await this.staging.list()).filter((part) => part.epoch > this.committer.keptUpTo);
    await this.staging.drop(dropped);
  }
}
