/**
 * How rows become Arrow, case by case as docs/api.md (SplitPayload) states
 * it, and SchemaInferenceError for each kind of column that mixes types.
 */
import test from 'ava';
import { DataType, Field, Int32, Precision, Schema, TimeUnit, Type, vectorFromArray, Table } from 'apache-arrow';
import {
  FileSink, Job, MapOperator, OperatorError, SchemaInferenceError, SourceOperator, Split, SplitPayload, Stage, type Row,
} from '../lib/index.js';
import { isolatedState, readParquetDir, tempDir } from './support/files.js';

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

test('numbers and bigints in one column are Int64 when every number is an integer within 64 bits, else Float64; in lists and structs too', (t) => {
  const column = (rows: Row[], name = 'a') => {
    const table = SplitPayload.fromRows(rows, 's/1').toTable();
    return { type: String(table.schema.fields.find((field) => field.name === name)!.type), values: table.toArray().map((row) => (row.toJSON() as Row)[name]) };
  };
  // A JSON reader gives a bigint for an integer past 2^53, a number for the others.
  t.deepEqual(column([{ a: 1 }, { a: 2n ** 60n + 1n }, { a: null }, { a: -3 }]), { type: 'Int64', values: [1n, 2n ** 60n + 1n, null, -3n] });
  t.deepEqual(column([{ a: 1.5 }, { a: 2n ** 60n + 1n }]), { type: 'Float64', values: [1.5, Number(2n ** 60n + 1n)] });
  t.deepEqual(column([{ a: 2n ** 60n }, { a: 2 ** 64 }]), { type: 'Float64', values: [2 ** 60, 2 ** 64] }, 'a number past 64 bits');
  const nested = column([{ a: { ids: [1, 2n ** 60n + 1n], x: 1 } }, { a: { ids: [3], x: 2n ** 60n + 3n } }, { a: { ids: [], x: 0.5 } }]);
  t.is(nested.type, 'Struct<{ids:List<Int64>, x:Float64}>');
  t.deepEqual(nested.values.map((value) => [...((value as Row).ids as Iterable<bigint>)]), [[1n, 2n ** 60n + 1n], [3n], []]);
  t.deepEqual(nested.values.map((value) => (value as Row).x), [1, Number(2n ** 60n + 3n), 0.5]);
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

/** An Arrow type spelled from its type ids (not Arrow's own toString): `List<Float64>`, `Struct<{ id: Float64 }>`. */
function typeName(type: DataType): string {
  switch (type.typeId) {
    case Type.Float: return (type as unknown as { precision: Precision }).precision === Precision.DOUBLE ? 'Float64' : 'Float';
    case Type.Int: return `Int${(type as unknown as { bitWidth: number }).bitWidth}`;
    case Type.Timestamp: return `Timestamp[${TimeUnit[(type as unknown as { unit: TimeUnit }).unit]}]`;
    case Type.List: return `List<${typeName(type.children[0]!.type)}>`;
    case Type.Struct: return `Struct<{ ${type.children.map((field) => `${field.name}: ${typeName(field.type)}`).join(', ')} }>`;
    default: return Type[type.typeId];
  }
}

/** Nested columns, each with the type docs/api.md gives it: numbers float64, strings utf8, ..., at any depth. */
const nestedColumns: { title: string; values: unknown[]; type: string }[] = [
  { title: 'lists of numbers', values: [[1, 2], [3]], type: 'List<Float64>' },
  { title: 'lists of strings', values: [['a', 'b'], ['c']], type: 'List<Utf8>' },
  { title: 'lists of booleans', values: [[true], [false]], type: 'List<Bool>' },
  { title: 'lists of bigints', values: [[1n], [2n, 3n]], type: 'List<Int64>' },
  { title: 'lists of Dates', values: [[new Date(0)], [new Date(1000)]], type: 'List<Timestamp[MILLISECOND]>' },
  { title: 'lists with nulls inside, and null lists', values: [[1, null], null, [null, 3]], type: 'List<Float64>' },
  { title: 'an empty list first', values: [[], ['x']], type: 'List<Utf8>' },
  { title: 'lists whose items are all null', values: [[null], [null]], type: 'List<Null>' },
  { title: 'lists of lists', values: [[[1], [2, 3]], [[4]]], type: 'List<List<Float64>>' },
  { title: 'structs of every row the same shape', values: [{ id: 1, name: 'a' }, { id: 2, name: 'b' }], type: 'Struct<{ id: Float64, name: Utf8 }>' },
  { title: 'structs with a null field', values: [{ id: 1, name: 'a' }, { id: 2, name: null }], type: 'Struct<{ id: Float64, name: Utf8 }>' },
  { title: 'structs with a field missing', values: [{ id: 1 }, { id: 2, name: 'b' }], type: 'Struct<{ id: Float64, name: Utf8 }>' },
  { title: 'structs with a field null in every row', values: [{ id: 1, note: null }, { id: 2, note: null }], type: 'Struct<{ id: Float64, note: Null }>' },
  { title: 'structs in structs', values: [{ o: { n: 'a', k: 1 } }, { o: { n: 'b', k: 2 } }], type: 'Struct<{ o: Struct<{ n: Utf8, k: Float64 }> }>' },
  { title: 'structs holding lists', values: [{ tags: ['x'] }, { tags: ['y', 'z'] }], type: 'Struct<{ tags: List<Utf8> }>' },
  { title: 'lists of structs', values: [[{ id: 1, name: 'a' }], [{ id: 2, name: 'b' }, { id: 3, name: 'c' }]], type: 'List<Struct<{ id: Float64, name: Utf8 }>>' },
  { title: 'a single struct', values: [{ name: 'a', at: new Date(5), big: 7n, ok: true }], type: 'Struct<{ name: Utf8, at: Timestamp[MILLISECOND], big: Int64, ok: Bool }>' },
];

for (const column of nestedColumns) {
  test(`${column.title} become ${column.type}, whatever shape the first row has`, (t) => {
    const rows = column.values.map((a) => ({ a }));
    t.is(typeName(SplitPayload.fromRows(rows, 's/1').schema.fields[0]!.type), column.type);
    t.is(typeName(SplitPayload.fromRows([...rows].reverse(), 's/1').schema.fields[0]!.type), column.type, 'in reverse order');
  });
}

test('nested values written to Parquet by the FileSink read back the same with hyparquet, a missing field or one null in every row as null', async (t) => {
  const out = await tempDir();
  const rows: Row[] = [
    { id: 1, scores: [1.5, 2], tags: ['a', 'b'], owner: { name: 'ann', age: 31, note: null }, items: [{ sku: 'x', qty: 2 }], meta: { source: 'web', note: null } },
    { id: 2, scores: [null, 3], tags: [], owner: { name: 'bob', note: null }, items: [{ sku: 'y', qty: 1 }, { sku: 'z', qty: null }], meta: { source: 'shop', note: null } },
    { id: 3, scores: null, tags: ['c'], owner: null, items: [], meta: { source: 'web', note: null } },
  ];
  const job = new Job({ jobId: 'nested-parquet' });
  job.addStage(new Stage('source', RowsSource, { rows }, 1));
  job.addStage(new Stage('sink', FileSink, { path: out, format: 'parquet' }, 1), ['source']);
  await job.createRunner(isolatedState()).run();
  t.deepEqual(await readParquetDir(out), [
    { id: 1, scores: [1.5, 2], tags: ['a', 'b'], owner: { name: 'ann', age: 31, note: null }, items: [{ sku: 'x', qty: 2 }], meta: { source: 'web', note: null } },
    { id: 2, scores: [null, 3], tags: [], owner: { name: 'bob', age: null, note: null }, items: [{ sku: 'y', qty: 1 }, { sku: 'z', qty: null }], meta: { source: 'shop', note: null } },
    { id: 3, scores: null, tags: ['c'], owner: null, items: [], meta: { source: 'web', note: null } },
  ]);
});

const nestedMixes: { title: string; values: unknown[]; row: number; types: [string, string] }[] = [
  { title: 'a list and a struct', values: [[1], { x: 1 }], row: 2, types: ['number[]', '{ x: number }'] },
  { title: 'lists of structs whose field changes type', values: [[{ x: 1 }], [{ x: 'one' }]], row: 2, types: ['{ x: number }[]', '{ x: string }[]'] },
  { title: 'lists of lists of numbers and of strings', values: [[[1]], [['x']]], row: 2, types: ['number[][]', 'string[][]'] },
  { title: 'a struct field that is a list, then a struct', values: [{ k: [1] }, { k: { n: 1 } }], row: 2, types: ['{ k: number[] }', '{ k: { n: number } }'] },
];

for (const mix of nestedMixes) {
  test(`nested values mixing ${mix.title} raise SchemaInferenceError naming the row and both shapes`, (t) => {
    const error = t.throws(() => SplitPayload.fromRows(mix.values.map((a) => ({ a })), 's/1').schema, { instanceOf: SchemaInferenceError })!;
    t.is(error.row, mix.row);
    t.deepEqual(error.types, mix.types);
  });
}
