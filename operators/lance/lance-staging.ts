import type * as lancedb from '@lancedb/lancedb';
import type { Schema, Table } from 'apache-arrow';
import { connectTo, namePart, tableNamesOf, type LanceLocation } from './lance-location.js';
import { fromLanceSchema, fromLanceTable } from './lance-arrow.js';

/** One split's rows, staged as a table of its own until a checkpoint commits them. */
export interface StagedPart {
  name: string;
  worker: number;
  epoch: number;
}

/** Folder, beside the table, whose Lance database holds staged rows: `<table folder>/../_solstice_staging/<table name>`. */
export const STAGING_FOLDER = '_solstice_staging';

/**
 * The rows a LanceSink's workers stage for the table at `location`, as one
 * Lance table per split in a database beside it, named
 * `<job>-<stage>-w<worker>-e<epoch>-<split>`: a split written again (its
 * worker was lost) replaces its part, and the committer lists a checkpoint's
 * parts by name, whichever workers wrote them. Staging goes where the table
 * goes, so on an object store every host's workers reach it.
 */
export class LanceStaging {
  private readonly prefix: string;
  private db: Promise<lancedb.Connection> | undefined;

  constructor(private readonly location: LanceLocation, jobId: string, stage: string) {
    this.prefix = `${namePart(jobId)}-${namePart(stage)}-`;
  }

  /** Stages `table`, a split's rows written by `worker` in `epoch`, replacing what the split staged before. */
  async write(worker: number, epoch: number, split: string, table: Table): Promise<void> {
    const db = await this.connection();
    const name = `${this.prefix}w${worker}-e${epoch}-${namePart(split)}`;
    try {
      await db.createTable(name, table, { mode: 'create' });
    } catch (error) {
      // The split was staged before, by a worker lost before it reported the split done.
      if (!/already exists/i.test((error as Error).message)) throw error;
      await db.createTable(name, table, { mode: 'overwrite' });
    }
  }

  /** The staged parts, of every worker or of one, in name order. */
  async list(worker?: number): Promise<StagedPart[]> {
    const parts: StagedPart[] = [];
    for (const name of await tableNamesOf(await this.connection())) {
      if (!name.startsWith(this.prefix)) continue;
      const parsed = /^w(\d+)-e(\d+)-/.exec(name.slice(this.prefix.length));
      if (!parsed) continue;
      const part = { name, worker: Number(parsed[1]), epoch: Number(parsed[2]) };
      if (worker === undefined || part.worker === worker) parts.push(part);
    }
    return parts;
  }

  /**
   * The rows a part holds, or undefined if it is only part there: a drop cut
   * short (a complete part is never left half written: its split is then not
   * done, and is staged again under the same name).
   */
  async rows(part: StagedPart): Promise<number | undefined> {
    try {
      return await (await (await this.connection()).openTable(part.name)).countRows();
    } catch (error) {
      if (/could not be loaded|not found/i.test((error as Error).message)) return undefined;
      throw error;
    }
  }

  /** The columns of a part, or undefined if it is gone (a commit took it). */
  async schema(part: StagedPart): Promise<Schema | undefined> {
    try {
      return fromLanceSchema(await (await (await this.connection()).openTable(part.name)).schema());
    } catch (error) {
      if (/could not be loaded|not found|does not exist/i.test((error as Error).message)) return undefined;
      throw error;
    }
  }

  async read(part: StagedPart): Promise<Table> {
    return fromLanceTable(await (await (await this.connection()).openTable(part.name)).query().toArrow());
  }

  async drop(parts: readonly StagedPart[]): Promise<void> {
    const db = await this.connection();
    for (const part of parts) {
      // Dropped already by a commit that was cut short.
      await db.dropTable(part.name).catch((error: Error) => {
        if (!/not found|does not exist/i.test(error.message)) throw error;
      });
    }
  }

  private connection(): Promise<lancedb.Connection> {
    this.db ??= connectTo(`${this.location.database}/${STAGING_FOLDER}/${this.location.name}`, this.location.storageOptions);
    return this.db;
  }
}
