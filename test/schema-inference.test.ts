/**
 * How rows become Arrow, case by case as docs/api.md (SplitPayload) states
 * it, and SchemaInferenceError for each kind of column that mixes types.
 */
import test from 'ava';
import { Field, Int32, Schema, Type, vectorFromArray, Table } from 'apache-arrow';
import {
  FileSink, Job, MapOperator, OperatorError, SchemaInferenceError, SourceOperator, Split, SplitPayload, Stage, type Row,
} from '../lib/index.js';
import { isolatedState, tempDir } from './support/files.js';

function typeOf(rows: Row[], column = 'a'): string {
  return String(SplitPayload.fromRows(rows, 's/1').schema.fields.find((field) => field.name === column)!.type);
}

test('numbers, strings, booleans, bigints and Dates become float64, utf8, bool, int64 and timestamp[ms]', (t) => {
  t.is(typeOf([{ a: 1 }, { a: 2.5 }]), 'Float64');
  t.is(typeOf([{ a: 'x' }, { a: null }]), 'Utf8');
  t.is(typeOf([{ a: true }, { a: false }]), 'Bool');
  t.is(typeOf([{ a: 1n }, { a: 2n ** 40n }]), 'Int64');
  t.is(typeOf([{ a: new Date(0) }]), 'Timestamp<MILLISECOND>');
});

test('arrays become lists and objects structs; an empty array fits any list, a missing field reads back as null', (t) => {
  t.is(typeOf([{ a: [1, 2] }, { a: [] }, { a: null }, { a: [3] }]), 'List<Float64>');
  const rows = [{ a: { x: 1 } }, { a: { y: 'b' } }, { a: { x: [] } as Row }];
  t.throws(() => SplitPayload.fromRows(rows, 's/1').toTable(), { instanceOf: SchemaInferenceError }, 'x is a number and a list');
  const payload = SplitPayload.fromRows([{ a: { x: 1 } }, { a: { y: 'b' } }, { a: { k: [] } }, { a: { k: [{ n: 2 }] } }], 's/1');
  t.is(String(payload.schema.fields[0]!.type), 'Struct<{x:Float64, y:Utf8, k:List<Struct<{n:Float64}>>}>');
  const back = SplitPayload.fromTable(payload.toTable(), 's/1').toRows();
  t.deepEqual(back, [
    { a: { x: 1, y: null, k: null } },
    { a: { x: null, y: 'b', k: null } },
    { a: { x: null, y: null, k: [] } },
    { a: { x: null, y: null, k: [{ n: 2 }] } },
  ]);
});

test('columns named in the schema hint keep its type when the values fit, and are inferred when they do not', (t) => {
  const hint = new Schema([new Field('a', new Int32(), true)]);
  t.is(SplitPayload.fromRows([{ a: 1 }, { a: 2 }], 's/1', hint).schema.fields[0]!.type.typeId, Type.Int);
  t.is(String(SplitPayload.fromRows([{ a: 1.5 }], 's/1', hint).schema.fields[0]!.type), 'Float64');
});

test('schema is defined for a payload built from rows, before and after toTable(); knownSchema converts nothing', (t) => {
  const payload = SplitPayload.fromRows([{ id: 1, name: 'a' }], 's/1');
  t.false(payload.hasTable);
  t.is(payload.knownSchema, undefined);
  t.deepEqual(payload.schema.fields.map((f) => `${f.name}:${String(f.type)}`), ['id:Float64', 'name:Utf8']);
  t.true(payload.hasTable, 'the table is built once and kept');
  t.is(payload.schema, payload.toTable().schema);
  const fromTable = SplitPayload.fromTable(new Table({ n: vectorFromArray([1, 2]) }), 's/2');
  t.is(fromTable.knownSchema, fromTable.schema);
});

const mixes: { title: string; rows: Row[]; row: number; types: [string, string]; holds: string }[] = [
  { title: 'a number and a string', rows: [{ a: 1 }, { a: null }, { a: 'x' }], row: 3, types: ['number', 'string'], holds: '"x"' },
  { title: 'a bigint and a number', rows: [{ a: 1n }, { a: 2 }], row: 2, types: ['bigint', 'number'], holds: '2' },
  { title: 'a Date and a string', rows: [{ a: new Date(0) }, { a: '1970' }], row: 2, types: ['date', 'string'], holds: '"1970"' },
  { title: 'a number and an array', rows: [{ a: 1 }, { a: [1] }], row: 2, types: ['number', 'number[]'], holds: '[1]' },
  { title: 'arrays of numbers and of strings', rows: [{ a: [1] }, { a: ['x'] }], row: 2, types: ['number[]', 'string[]'], holds: '["x"]' },
  { title: 'numbers and strings in one array', rows: [{ a: [1] }, { a: [2, 'x'] }], row: 2, types: ['number', 'string'], holds: '[2,"x"]' },
  { title: 'structs whose field changes type', rows: [{ a: { x: 1 } }, { a: { x: 'one' } }], row: 2, types: ['{ x: number }', '{ x: string }'], holds: '{"x":"one"}' },
];

for (const mix of mixes) {
  test(`a column mixing ${mix.title} raises SchemaInferenceError naming the column, the row and both types`, (t) => {
    const payload = SplitPayload.fromRows(mix.rows, 's/1');
    const error = t.throws(() => payload.schema, { instanceOf: SchemaInferenceError })!;
    t.is(error.column, 'a');
    t.is(error.row, mix.row);
    t.deepEqual(error.types, mix.types);
    t.is(error.message, `Column 'a' mixes ${mix.types[0]} and ${mix.types[1]} values (row ${mix.row} holds ${mix.holds}); give every row the same type in this column`);
  });
}

class RowsSource extends SourceOperator<{ rows: Row[] }> {
  planSplits() {
    return [{}];
  }

  processSplit(split: Split) {
    return SplitPayload.fromRows(this.config.rows, split.splitId);
  }
}

test('a map that makes a column mix types fails the job with SchemaInferenceError and its fields, not Arrow\'s TypeError', async (t) => {
  const out = await tempDir();
  const job = new Job({ jobId: 'mixed-tags' });
  job.addStage(new Stage('source', RowsSource, { rows: [{ id: 1 }, { id: 2 }, { id: 3 }] }, 1));
  job.addStage(new Stage('tag', MapOperator<{ id: number }, { id: number; tags: unknown[] }>, {
    fn: (row) => ({ ...row, tags: row.id === 3 ? ['three'] : [row.id] }),
  }, 1), ['source']);
  job.addStage(new Stage('sink', FileSink, { path: out, format: 'parquet' }, 1), ['tag']);
  const error = await t.throwsAsync(job.createRunner(isolatedState()).run(), { instanceOf: OperatorError });
  const cause = error!.cause as SchemaInferenceError;
  t.true(cause instanceof SchemaInferenceError, String(cause));
  t.is(cause.column, 'tags');
  t.is(cause.row, 3);
  t.deepEqual(cause.types, ['number[]', 'string[]']);
});
