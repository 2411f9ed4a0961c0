import type { Schema, Table } from 'apache-arrow';
import { TableSchemaError } from '../../lib/errors/index.js';
import { fromLanceSchema, schemaMisfit, typedBy, unifiedSchema } from './lance-arrow.js';
import type { LanceWriteMode } from './lance-write-mode.js';
import { openTableAt, type LanceLocation } from './lance-location.js';
import type { LanceStaging } from './lance-staging.js';

/** Refuses, with TableSchemaError, `rows` (brought by `what`) that a table of `schema` cannot take (`schemaMisfit`). */
export function refuseMisfit(uri: string, what: string, rows: Table, schema: Schema, createdFrom?: string): void {
  const misfit = schemaMisfit(rows, schema);
  if (misfit) throw new TableSchemaError(uri, { rows: what, ...misfit, ...(createdFrom ? { createdFrom } : {}) });
}

/**
 * The schema a LanceSink worker's splits must fit, checked as each split is
 * processed, so that one whose rows its checkpoint's commit could not add
 * is refused then, under the stage's `onError`, rather than failing the
 * commit. In modes `create` and `append` it is the table's schema, read once
 * the table exists (looked for again at each new epoch until then, since a
 * checkpoint's commit may have created it). Before that, and in mode
 * `overwrite` (whose final commit replaces the table, schema and all), it is
 * what the commit will create from the staged parts (`unifiedSchema`): the
 * columns of the first part this worker found staged, by any worker, or
 * else of its own first split, each column typed Null (no value yet) taking
 * the type of the first split with a value in it. Splits that different
 * workers stage at the same moment, before either finds the other's, are
 * checked against each other only by the commit.
 */
export class LanceTargetSchema {
  private table: Schema | undefined;
  private lookedIn = Number.NEGATIVE_INFINITY;
  /** What the first commit will create, as far as this worker knows, and what gave it its columns. */
  private created: { schema: Schema; from: string } | undefined;

  constructor(private readonly location: LanceLocation, private readonly staging: LanceStaging, private readonly mode: LanceWriteMode) {}

  /** Throws TableSchemaError if the rows of split `splitId`, of `epoch`, do not fit. */
  async check(rows: Table, splitId: string, epoch: number): Promise<void> {
    const what = `split '${splitId}'`;
    const table = await this.tableSchema(epoch);
    if (table) return refuseMisfit(this.location.uri, what, rows, table);
    this.created ??= (await this.firstStaged()) ?? { schema: unifiedSchema([rows.schema]), from: what };
    const schema = typedBy(this.created.schema, rows.schema);
    refuseMisfit(this.location.uri, what, rows, schema, this.created.from);
    this.created = { schema, from: this.created.from };
  }

  private async tableSchema(epoch: number): Promise<Schema | undefined> {
    if (this.mode === 'overwrite' || this.table || epoch <= this.lookedIn) return this.table;
    this.lookedIn = epoch;
    const table = await openTableAt(this.location);
    if (table) this.table = fromLanceSchema(await table.schema());
    return this.table;
  }

  private async firstStaged(): Promise<{ schema: Schema; from: string } | undefined> {
    const [first] = await this.staging.list();
    if (!first) return undefined;
    // Gone if a commit took it since.
    const schema = await this.staging.schema(first);
    return schema && { schema: unifiedSchema([schema]), from: `staged part '${first.name}'` };
  }
}
