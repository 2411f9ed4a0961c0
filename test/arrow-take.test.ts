/**
 * Rows a filter keeps leave as an Arrow table built on Arrow's buffers (for
 * a Parquet sink, or a hop to another process), not through row objects:
 * the taken table must hold exactly the chosen rows, with each column's type,
 * nulls included, whatever batches the source table had.
 */
import test, { type ExecutionContext } from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import {
  Bool, DateDay, Dictionary, Float64, Int32, Int64, Table, TimestampMillisecond, Utf8, vectorFromArray, tableToIPC, tableFromIPC,
} from 'apache-arrow';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { FileSink, FileSource, FilterOperator, Job, Stage, type Row } from '../lib/index.js';
import { takeRows } from '../lib/arrow-take.js';
import { isolatedState, tempDir } from './support/files.js';

/** A table of `n` rows in one batch, every type takeRows covers, with nulls in every nullable column. */
function sample(n: number, seed: number, dictionary = false): Table {
  const ids = Array.from({ length: n }, (_, i) => i + seed);
  const cities = ids.map((i) => ['Oslo', 'Lima', 'Hué'][i % 3]!);
  return new Table({
    ...(dictionary ? { city: vectorFromArray(cities, new Dictionary(new Utf8(), new Int32())) } : {}),
    id: vectorFromArray(ids, new Int32()),
    big: vectorFromArray(ids.map((i) => (i % 5 === 0 ? null : BigInt(i) * 1_000_000_007n)), new Int64()),
    score: vectorFromArray(ids.map((i) => (i % 7 === 0 ? null : i / 3)), new Float64()),
    name: vectorFromArray(ids.map((i) => (i % 4 === 0 ? null : `név-${i}`)), new Utf8()),
    flag: vectorFromArray(ids.map((i) => (i % 6 === 0 ? null : i % 3 === 0)), new Bool()),
    at: vectorFromArray(ids.map((i) => 1_700_000_000_000 + i * 1000), new TimestampMillisecond()),
    day: vectorFromArray(ids.map((i) => new Date(Date.UTC(2024, 0, 1 + (i % 300)))), new DateDay()),
  });
}

/** Row k of `taken` is row indexes[k] of `table`, column by column, by Arrow's own accessors; types and null counts kept. */
function sameRowsAt(t: ExecutionContext, taken: Table, table: Table, indexes: Uint32Array): void {
  t.truthy(taken);
  t.is(taken.numRows, indexes.length);
  t.deepEqual(taken.schema.fields.map((field) => String(field.type)), table.schema.fields.map((field) => String(field.type)));
  // Arrow's own accessors are the oracle: row k of the taken table is row indexes[k] of the source.
  for (const field of table.schema.fields) {
    const source = table.getChild(field.name)!;
    const column = taken.getChild(field.name)!;
    const mismatch = Array.from(indexes).findIndex((index, k) => String(column.get(k)) !== String(source.get(index)));
    t.is(mismatch, -1, `${field.name}: row ${mismatch} is ${String(column.get(mismatch))}, expected ${String(source.get(indexes[mismatch]!))}`);
    t.is(column.nullCount, Array.from(indexes).filter((index) => source.get(index) === null).length, `${field.name} nulls`);
  }
}

test('takeRows keeps exactly the chosen rows of every column type, nulls included, across batches', (t) => {
  // Two batches, so that indexes fall in either; read back through Arrow's IPC to get chunked columns as a reader would.
  const table = tableFromIPC(tableToIPC(sample(1000, 0).concat(sample(700, 1000))));
  t.is(table.batches.length, 2);
  const indexes = Uint32Array.from(Array.from({ length: 1700 }, (_, i) => i).filter((i) => i % 3 === 1 || (i > 990 && i < 1010)));
  sameRowsAt(t, takeRows(table, indexes)!, table, indexes);
});

test('dictionary columns are taken with their dictionary; batches with dictionaries of their own are left to the row path', (t) => {
  const one = sample(500, 0, true);
  const indexes = Uint32Array.from(Array.from({ length: 500 }, (_, i) => i).filter((i) => i % 4 !== 2));
  sameRowsAt(t, takeRows(one, indexes)!, one, indexes);
  t.is(takeRows(sample(300, 0, true).concat(sample(300, 300, true)), indexes), undefined);
});

test('a filter over Parquet writing Parquet keeps each column type and exactly the kept rows', async (t) => {
  const dir = await tempDir('solstice-take-');
  const n = 20_000;
  const ids = Array.from({ length: n }, (_, i) => i);
  const input = join(dir, 'in.parquet');
  await writeFile(input, new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: 'id', data: Int32Array.from(ids), type: 'INT32' },
      { name: 'amount', data: BigInt64Array.from(ids, (i) => BigInt(i * 3)), type: 'INT64' },
      { name: 'label', data: ids.map((i) => (i % 10 === 0 ? null : `l${i % 97}`)), type: 'STRING' },
    ],
    rowGroupSize: 6000,
  })));
  const output = join(dir, 'out');
  const job = new Job({ jobId: 'take' });
  job.addStage(new Stage('source', FileSource, { paths: input, batchRows: 5000 }, 1));
  job.addStage(new Stage('keep', FilterOperator, { fn: (row: Row) => (row.id as number) % 3 === 0 }, 1), ['source']);
  job.addStage(new Stage('sink', FileSink, { path: output, format: 'parquet' }, 1), ['keep']);
  await job.createRunner(isolatedState()).run();
  const { readdir } = await import('node:fs/promises');
  const files = (await readdir(output)).filter((name) => name.endsWith('.parquet')).sort();
  const rows: Row[] = [];
  for (const name of files) {
    const buffer = await readFile(join(output, name));
    const file = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
    const types = parquetMetadata(file).schema.slice(1).map((element) => element.type);
    t.deepEqual(types, ['INT32', 'INT64', 'BYTE_ARRAY'], `${name} keeps the column types`);
    rows.push(...(await parquetReadObjects({ file })));
  }
  const expected = ids.filter((i) => i % 3 === 0).map((i) => ({ id: i, amount: BigInt(i * 3), label: i % 10 === 0 ? null : `l${i % 97}` }));
  t.deepEqual(rows.sort((a, b) => (a.id as number) - (b.id as number)), expected);
});
