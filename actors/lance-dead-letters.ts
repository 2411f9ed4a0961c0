import type * as lancedb from '@lancedb/lancedb';
import { Field, Int32, Schema, Table, Utf8, vectorFromArray } from 'apache-arrow';
import type { DeadLetterLocation } from '../lib/job-spec.js';
import type { BadRecord, OperatorContext } from '../lib/operator.js';
import type { Split } from '../lib/split.js';
import { concatToSchema } from '../operators/lance/lance-arrow.js';
import { createEmptyTableAt, lanceLocation, openTableAt, type LanceLocation } from '../operators/lance/lance-location.js';
import { LanceStaging, type StagedPart } from '../operators/lance/lance-staging.js';
import { deadLettersOf, type DeadLetter, type DeadLetterWriter } from './dead-letter.js';

/** What a worker pre-commits: the parts it staged. */
interface LanceDeadLetterTransaction {
  parts: string[];
}

const TEXT: readonly (keyof DeadLetter)[] = ['id', 'job', 'run', 'stage', 'splitId', 'file', 'record', 'error', 'message', 'stack', 'time'];
const WHOLE: readonly (keyof DeadLetter)[] = ['line', 'row', 'attempts'];

/** The table's columns, the same for every job, so that one table may gather the dead letters of many runs and jobs. */
export const DEAD_LETTER_SCHEMA = new Schema([
  ...TEXT.slice(0, 6).map((name) => new Field(name, new Utf8(), name === 'file')),
  ...WHOLE.slice(0, 2).map((name) => new Field(name, new Int32(), true)),
  ...TEXT.slice(6).map((name) => new Field(name, new Utf8(), name === 'record' || name === 'stack')),
  new Field('attempts', new Int32(), false),
]);

/**
 * A stage's dead letters as rows of a Lance table, local or on an object
 * store. Each split's letters are staged as a table of their own beside it
 * (LanceStaging, as LanceSink stages rows), and a commit merges the staged
 * letters into the table by their `id`, inserting only those not there yet:
 * committing again after a crash, or a split run again by another worker or
 * in a later epoch, adds nothing twice, so the workers of every stage commit
 * on their own. The table keeps the letters of every run, which the `job`
 * and `run` columns tell apart.
 */
export class LanceDeadLetters implements DeadLetterWriter {
  private readonly location: LanceLocation;
  private readonly staging: LanceStaging;

  constructor(location: DeadLetterLocation, private readonly context: OperatorContext) {
    this.location = lanceLocation(location.path, location.storageOptions, 'The dead letter table');
    this.staging = new LanceStaging(this.location, context.jobId, `dead_letters_${context.stage}`);
  }

  async open(): Promise<void> {}

  async write(split: Split, records: readonly BadRecord[], attempts: number): Promise<void> {
    const letters = deadLettersOf(split, records, attempts, this.context);
    await this.staging.write(this.context.workerIndex, split.epoch, split.lineage, deadLetterTable(letters));
  }

  async preCommit(epoch: number): Promise<LanceDeadLetterTransaction> {
    const parts = (await this.staging.list(this.context.workerIndex)).filter((part) => part.epoch <= epoch);
    return { parts: parts.map((part) => part.name) };
  }

  async commit(transaction: unknown): Promise<void> {
    const names = new Set((transaction as LanceDeadLetterTransaction).parts);
    // A part gone was committed and dropped by an earlier try.
    const staged = (await this.staging.list()).filter((part) => names.has(part.name));
    if (staged.length === 0) return;
    const parts = await Promise.all(staged.map(async (part) => ({ name: `staged dead letters '${part.name}'`, table: await this.staging.read(part) })));
    const letters = concatToSchema(parts, DEAD_LETTER_SCHEMA);
    const table = await this.table();
    await table.mergeInsert('id').whenNotMatchedInsertAll().execute(letters);
    await this.staging.drop(staged);
  }

  async abort(): Promise<void> {
    const { workerIndex, parallelism } = this.context;
    const mine = (part: StagedPart) => part.worker === workerIndex || (part.worker >= parallelism && part.worker % parallelism === workerIndex);
    await this.staging.drop((await this.staging.list()).filter(mine));
  }

  async close(): Promise<void> {}

  /** The table the runner created before the workers started ({@link prepareDeadLetterTable}), or again if it was removed since. */
  private table(): Promise<lancedb.Table> {
    return deadLetterTableAt(this.location);
  }
}

/**
 * Creates the dead letter table at `location` unless it is there: once per
 * run, before any worker writes. Workers that each created it on their own
 * raced: Lance commits a second create as an overwrite of the first, which
 * dropped the letters another worker had merged in meanwhile, or failed its
 * merge as an incompatible transaction.
 */
export async function prepareDeadLetterTable(location: DeadLetterLocation): Promise<void> {
  await deadLetterTableAt(lanceLocation(location.path, location.storageOptions, 'The dead letter table'));
}

/** The dead letter table at `location`, created empty if it is not there. */
async function deadLetterTableAt(location: LanceLocation): Promise<lancedb.Table> {
  return (await openTableAt(location)) ?? createEmptyTableAt(location, DEAD_LETTER_SCHEMA);
}

/** Dead letters as a table of the dead letter schema. */
function deadLetterTable(letters: readonly DeadLetter[]): Table {
  const columns: Record<string, ReturnType<typeof vectorFromArray>> = {};
  for (const field of DEAD_LETTER_SCHEMA.fields) {
    columns[field.name] = vectorFromArray(letters.map((letter) => letter[field.name as keyof DeadLetter]), field.type);
  }
  return new Table(columns);
}
