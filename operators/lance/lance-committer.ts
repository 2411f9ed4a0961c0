import type * as lancedb from '@lancedb/lancedb';
import type { Schema } from 'apache-arrow';
import { TableCommitError, TableError, describeCause } from '../../lib/errors/index.js';
import type { JobRun } from '../../lib/job-spec.js';
import type { Logger } from '../../lib/logger.js';
import { concatToSchema, fromLanceSchema, unifiedSchema } from './lance-arrow.js';
import { connectTo, createEmptyTableAt, namePart, openTableAt, type LanceLocation } from './lance-location.js';
import type { LanceStaging, StagedPart } from './lance-staging.js';
import type { LanceWriteMode } from './lance-write-mode.js';
import { refuseMisfit } from './lance-target-schema.js';


/**
 * Commits a LanceSink's staged rows to its table, one Lance commit per
 * checkpoint, exactly once even when the committing process is killed at any
 * point. Before it adds the rows it tags the table's current version
 * (`solstice-<job>-<stage>-c<checkpoint>`, the intent); once the rows are in,
 * it moves the job's tag (`solstice-<job>-<stage>`, which names the version
 * the job last committed and marks the table as the job's) to the new
 * version, drops the staged parts, then the intent. A commit that finds an
 * intent left by one cut short knows whether that add landed: the job's tag
 * is past the intent's version, or, cut short before it moved the tag, the
 * version after the intent's holds exactly the staged rows more.
 */
export class LanceCommitter {
  private readonly ownerTag: string;
  /** Marks the table as written by this run of the job: its restores may go on with it in mode `create`, a new run may not. */
  private readonly runTag: string | undefined;
  /** In overwrite mode, staged parts of epochs up to this wait for the job's final commit. */
  keptUpTo = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly location: LanceLocation,
    private readonly staging: LanceStaging,
    private readonly mode: LanceWriteMode,
    jobId: string,
    stage: string,
    private readonly log: Logger,
    private readonly run?: JobRun,
  ) {
    this.ownerTag = `solstice-${namePart(jobId)}-${namePart(stage)}`;
    this.runTag = run ? `${this.ownerTag}-run-${namePart(run.id)}` : undefined;
  }

  /**
   * Makes every part staged in epochs up to `checkpointId` visible in one
   * commit (in overwrite mode, only at the job's `final` checkpoint, as one
   * overwrite). `expected` are parts the workers pre-committed for this
   * checkpoint's own epoch: each must be staged where the committer reads.
   */
  async commit(checkpointId: number, final: boolean, expected: readonly string[]): Promise<void> {
    if (this.mode === 'overwrite' && !final) {
      this.keptUpTo = Math.max(this.keptUpTo, checkpointId);
      return;
    }
    let staged = (await this.staging.list()).filter((part) => part.epoch <= checkpointId);
    const listed = new Set(staged.map((part) => part.name));
    const missing = expected.filter((name) => !listed.has(name));
    if (missing.length > 0) {
      throw new TableCommitError(this.location.uri, checkpointId, `${missing.length} staged part(s) of its workers, such as '${missing[0]}', are not where the committer reads them; every worker of a LanceSink must reach the table's location (on a cluster: an object store or a shared folder)`);
    }
    let table = await openTableAt(this.location);
    if (table) staged = await this.settleIntents(table, checkpointId, staged);
    if (staged.length === 0) return;
    const parts = await Promise.all(staged.map(async (part) => ({ name: `staged part '${part.name}'`, table: await this.staging.read(part) })));
    // The workers checked each split (LanceTargetSchema); parts staged at once by several, before the table was, may still differ.
    const schema = table && this.mode !== 'overwrite' ? fromLanceSchema(await table.schema()) : unifiedSchema(parts.map((part) => part.table.schema));
    for (const part of parts) refuseMisfit(this.location.uri, part.name, part.table, schema);
    const data = concatToSchema(parts, schema);
    table ??= await this.createEmpty(data.schema);
    const tags = await table.tags();
    await table.checkoutLatest();
    const base = await table.version();
    await tags.create(this.intentTag(checkpointId), base);
    try {
      if (this.mode === 'overwrite') {
        const db = await connectTo(this.location.database, this.location.storageOptions);
        table = await db.createTable(this.location.name, data, { mode: 'overwrite' });
      } else {
        await table.add(data);
      }
    } catch (error) {
      throw new TableCommitError(this.location.uri, checkpointId, `writing ${data.numRows} row(s) failed: ${describeCause(error)}`);
    }
    await this.markOwned(table);
    await this.staging.drop(staged);
    await tags.delete(this.intentTag(checkpointId));
    this.log.info({ table: this.location.uri, checkpointId, rows: data.numRows, parts: staged.length, version: await table.version() }, 'rows committed to the Lance table');
  }

  /**
   * Mode `create` takes a table only if there is none, or it is this run's
   * (a restored run's, or one it created and had not committed to yet): a
   * new run of the job does not add its rows to an earlier run's.
   */
  async checkCreatable(): Promise<void> {
    if (this.mode !== 'create') return;
    const table = await openTableAt(this.location);
    if (!table || (await this.createdEmpty(table))) return;
    const tags = await (await table.tags()).list();
    // A restore of a checkpoint from before runs were tagged goes on with the job's table.
    if (tags[this.ownerTag] && (this.runTag === undefined || tags[this.runTag] || (this.run?.resumedFrom !== undefined && !Object.keys(tags).some((tag) => tag.startsWith(`${this.ownerTag}-run-`))))) return;
    const by = tags[this.ownerTag] ? 'an earlier run of this job made it' : 'this job did not make it';
    throw new TableError(this.location.uri, `Lance table '${this.location.uri}' exists (${by}) and LanceSink's mode is 'create'; use mode 'append' or 'overwrite' to write to it, or write elsewhere`);
  }

  /**
   * Intents left by commits cut short, up to `checkpointId`: where the add
   * landed, its parts are dropped and not added again. Returns the parts
   * still to commit.
   */
  private async settleIntents(table: lancedb.Table, checkpointId: number, staged: StagedPart[]): Promise<StagedPart[]> {
    const tags = await table.tags();
    const prefix = `${this.ownerTag}-c`;
    const intents = Object.keys(await tags.list())
      .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
      .map((name) => ({ name, checkpoint: Number(name.slice(prefix.length)) }))
      .filter((intent) => intent.checkpoint <= checkpointId)
      .sort((a, b) => a.checkpoint - b.checkpoint);
    const owned = (await tags.list())[this.ownerTag] ? await tags.getVersion(this.ownerTag) : undefined;
    for (const intent of intents) {
      const parts = staged.filter((part) => part.epoch <= intent.checkpoint);
      const base = await tags.getVersion(intent.name);
      if (parts.length > 0 && ((owned !== undefined && owned > base) || (await this.landed(table, base, parts, intent.checkpoint)))) {
        this.log.info({ table: this.location.uri, checkpointId: intent.checkpoint, parts: parts.length }, 'a commit cut short had landed; its staged rows are not added again');
        await this.markOwned(table);
        await this.staging.drop(parts);
        staged = staged.filter((part) => !parts.includes(part));
      }
      await tags.delete(intent.name);
    }
    return staged;
  }

  /**
   * Whether the version after `base` is this job's add of `parts` (or, in
   * overwrite mode, its overwrite with them), for a commit cut short before
   * it moved the job's tag: no part was dropped yet, so the version holds
   * exactly their rows more.
   */
  private async landed(table: lancedb.Table, base: number, parts: readonly StagedPart[], checkpointId: number): Promise<boolean> {
    const versions = await table.listVersions();
    const before = versions.find((version) => version.version === base);
    const next = versions.find((version) => version.version === base + 1);
    if (!next) return false;
    let rows = 0;
    for (const part of parts) {
      const count = await this.staging.rows(part);
      if (count === undefined) throw new TableCommitError(this.location.uri, checkpointId, `staged part '${part.name}' is damaged, and the table does not say whether its rows are in`);
      rows += count;
    }
    const expected = this.mode === 'overwrite' ? rows : Number(before?.metadata.total_rows) + rows;
    if (Number(next.metadata.total_rows) === expected) return true;
    throw new TableCommitError(
      this.location.uri, checkpointId,
      `an earlier try was cut short, and version ${base + 1}, made after it began, holds ${next.metadata.total_rows} rows where its add would make ${expected}: another writer changed the table, so it cannot tell whether the rows are in`,
    );
  }

  private async createEmpty(schema: Schema): Promise<lancedb.Table> {
    // Another try may have created it first.
    const table = await createEmptyTableAt(this.location, schema);
    await this.markOwned(table);
    return table;
  }

  private async markOwned(table: lancedb.Table): Promise<void> {
    const tags = await table.tags();
    const version = await table.version();
    const listed = await tags.list();
    if (listed[this.ownerTag]) await tags.update(this.ownerTag, version);
    else await tags.create(this.ownerTag, version);
    if (this.runTag && !listed[this.runTag]) await tags.create(this.runTag, version);
  }

  /** Created empty by a job stopped before it tagged it. */
  private async createdEmpty(table: lancedb.Table): Promise<boolean> {
    return (await table.version()) === 1 && (await table.countRows()) === 0;
  }

  private intentTag(checkpointId: number): string {
    return `${this.ownerTag}-c${checkpointId}`;
  }
}
