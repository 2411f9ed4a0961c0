/**
 * JSON lines are read straight into Arrow columns and written back from
 * them, and row functions work on those columns: what a user relies on is
 * that every value reads as JSON.parse reads it, is written as
 * JSON.stringify writes it, and that a computed column or a map changes
 * exactly what its function says, whatever the file's shape.
 */
import test from 'ava';
import { stringify as losslessStringify } from 'lossless-json';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parquetMetadataAsync, asyncBufferFromFile } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { Table, TimeUnit, TimestampMicrosecond, TimestampMillisecond, TimestampNanosecond, TimestampSecond, makeData, makeVector } from 'apache-arrow';
import { encodeTableAsJsonLines } from '../formats/jsonl-encoder.js';
import {
  FileSink, FileSource, Job, MapOperator, OperatorError, RowFunctionError, SinkOperator, Stage, WithColumnsOperator,
  type Row, type Split, type SplitPayload,
} from '../lib/index.js';
import { sampleOrders, seededRandom } from '../workflows/simple_etl/sample-orders.js';
import { isolatedState, readJsonLinesDir, readParquetDir, tempDir } from './support/files.js';

/** What each probe sink took: the rows, and for each split whether it came as Arrow data (not rows a function built). */
const probed = new Map<string, { rows: Row[]; arrow: boolean[] }>();

class ProbeSink extends SinkOperator<{ name: string }> {
  processSplit(_split: Split, payload?: SplitPayload): null {
    const seen = probed.get(this.config.name) ?? { rows: [], arrow: [] };
    if (payload) {
      seen.arrow.push(payload.arrowRows !== undefined && !payload.builtFromRows);
      seen.rows.push(...payload.toRows());
    }
    probed.set(this.config.name, seen);
    return null;
  }
}

/** A JSON number as a person or another program may write it: integers, decimals, exponents, long mantissas. */
function numberText(next: () => number): string {
  const digits = (n: number) => Array.from({ length: n }, (_, i) => String(Math.floor(next() * 10) || (i === 0 ? 1 : 0))).join('');
  const sign = next() < 0.3 ? '-' : '';
  switch (Math.floor(next() * 7)) {
    case 0: return `${sign}0`;
    case 1: return `${sign}${digits(1 + Math.floor(next() * 20))}`;
    case 2: return `${sign}${digits(1 + Math.floor(next() * 8))}.${digits(1 + Math.floor(next() * 12))}`;
    case 3: return `${sign}0.${'0'.repeat(Math.floor(next() * 5))}${digits(1 + Math.floor(next() * 17))}`;
    case 4: return `${sign}${digits(1 + Math.floor(next() * 3))}${next() < 0.5 ? 'e' : 'E'}${['', '+', '-'][Math.floor(next() * 3)]}${digits(1 + Math.floor(next() * 2))}`;
    case 5: return `${sign}${digits(2)}.${digits(2)}`;
    default: return `${sign}${digits(1 + Math.floor(next() * 15))}.${digits(1 + Math.floor(next() * 6))}e-${digits(1)}`;
  }
}

const STRINGS = [
  'plain', '', 'Zürich', '中文', 'emoji 😀', '"quoted"', 'back\\slash', 'tab\there', 'line\nbreak', 'bell\u0007', '/',
];
/** Some strings written with escapes JSON.stringify would not use. */
const ESCAPED_TEXTS = ['"\\u0041\\u00e9"', '"\\/slash"', '"\\ud83d\\ude00"'];

test('JSON lines of one shape are read as Arrow columns holding every value as JSON.parse reads it', async (t) => {
  const dir = await tempDir('solstice-jsonl-arrow-');
  // Seeded, so a failure repeats.
  const next = seededRandom(7);
  const lines: string[] = [];
  for (let i = 0; i < 6000; i++) {
    const text = next() < 0.1 ? ESCAPED_TEXTS[i % ESCAPED_TEXTS.length]! : JSON.stringify(STRINGS[i % STRINGS.length]);
    const maybe = i % 9 === 0 ? 'null' : numberText(next);
    const nested = i % 5 === 0 ? '[]' : `[${numberText(next)}, ${numberText(next)}]`;
    const space = i % 4 === 0 ? ' ' : '';
    const line = `{"id":${i},${space}"n": ${numberText(next)} ,"s":${text},"b":${i % 3 === 0},"maybe":${maybe},"none":null,`
      + `"list":${nested},"point":{"x":${i},"label":${JSON.stringify(STRINGS[i % 4])}}}`;
    lines.push(i % 7 === 0 ? `${line}\r` : line);
    if (i % 500 === 0) lines.push('', '   ');
  }
  const path = join(dir, 'values.jsonl');
  await writeFile(path, `${lines.join('\n')}\n`);

  const job = new Job({ jobId: 'jsonl-arrow' });
  job.addStage(new Stage('source', FileSource, { paths: path, batchRows: 1000 }, 1));
  job.addStage(new Stage('sink', ProbeSink, { name: 'uniform' }, 1), ['source']);
  await job.createRunner(isolatedState()).run();

  const { rows, arrow } = probed.get('uniform')!;
  // The oracle: V8's JSON.parse, line by line.
  const expected = lines.filter((line) => line.trim()).map((line) => JSON.parse(line) as Row);
  t.deepEqual(rows.sort((a, b) => (a.id as number) - (b.id as number)), expected);
  t.true(arrow.length > 3 && arrow.every(Boolean), 'every split came as Arrow columns');
});

test('JSON lines whose keys or kinds differ from line to line are read as rows, each line with its own keys', async (t) => {
  const dir = await tempDir('solstice-jsonl-mixed-');
  const lines = [
    '{"id":1,"a":"x"}', '{"id":2}', '{"id":3,"a":"y","extra":true}',
    '{"id":4,"a":5}', '{"id":5,"a":"z","a":"twice"}', '{"a":"first","id":6}',
  ];
  const path = join(dir, 'mixed.jsonl');
  await writeFile(path, `${lines.join('\n')}\n`);
  const job = new Job({ jobId: 'jsonl-mixed' });
  job.addStage(new Stage('source', FileSource, { paths: path }, 1));
  job.addStage(new Stage('sink', FileSink, { path: join(dir, 'out'), format: 'jsonl' }, 1), ['source']);
  await job.createRunner(isolatedState()).run();
  const written = (await readJsonLinesDir(join(dir, 'out'))).sort((a, b) => (a.id as number) - (b.id as number));
  t.deepEqual(written, lines.map((line) => JSON.parse(line) as Row));
});

test('JSON lines written from Arrow columns are the lines JSON.stringify writes for the rows another reader finds', async (t) => {
  const dir = await tempDir('solstice-jsonl-write-');
  const count = 3000;
  const texts = Array.from({ length: count }, (_, i) => (i % 13 === 0 ? null : `${STRINGS[i % STRINGS.length]!}\u0001${i}`));
  const bigs = Array.from({ length: count }, (_, i) => [0n, -1n, 2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n), BigInt(i) * 4294967296n][i % 8]!);
  const floats = Array.from({ length: count }, (_, i) => [0.1, -0, 1e21, 1e-7, 123.456, i / 3][i % 6]!);
  const input = join(dir, 'values.parquet');
  await writeFile(input, new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: 'id', data: Int32Array.from({ length: count }, (_, i) => i), type: 'INT32' },
      { name: 'text', data: texts, type: 'STRING' },
      { name: 'big', data: BigInt64Array.from(bigs), type: 'INT64' },
      { name: 'x', data: Float64Array.from(floats), type: 'DOUBLE' },
      { name: 'flag', data: Array.from({ length: count }, (_, i) => (i % 5 === 0 ? null : i % 2 === 0)), type: 'BOOLEAN' },
      { name: 'at', data: Array.from({ length: count }, (_, i) => (i % 11 === 0 ? null : new Date(-86_400_000 + i * 977_777))), type: 'TIMESTAMP' },
    ],
  })));
  const job = new Job({ jobId: 'jsonl-write' });
  job.addStage(new Stage('source', FileSource, { paths: input, batchRows: 700 }, 1));
  job.addStage(new Stage('sink', FileSink, { path: join(dir, 'out'), format: 'jsonl' }, 1), ['source']);
  await job.createRunner(isolatedState()).run();

  const lines: string[] = [];
  for (const name of (await readdir(join(dir, 'out'))).filter((n) => n.endsWith('.jsonl')).sort()) {
    lines.push(...(await readFile(join(dir, 'out', name), 'utf8')).split('\n').filter(Boolean));
  }
  // hyparquet's rows, written by lossless-json (JSON.stringify's text, a bigint as every digit of its number), a timestamp as epoch milliseconds.
  const expected = (await readParquetDir(dir)).map((row) => losslessStringify({ ...row, at: (row.at as Date | null)?.getTime() ?? null }));
  const id = (line: string) => (JSON.parse(line) as Row).id as number;
  t.deepEqual(lines.sort((a, b) => id(a) - id(b)), expected);
});

test('timestamps of every unit are written as the milliseconds Arrow reads for them', (t) => {
  const stamps = [0n, 1n, -1n, 999n, -999n, 1000n, -1001n, 1_700_000_000_123_456n, -1_700_000_000_123_456n, 2n ** 53n - 1n, -(2n ** 53n), 2n ** 62n, -(2n ** 62n) - 7n];
  for (const type of [new TimestampSecond(), new TimestampMillisecond(), new TimestampMicrosecond(), new TimestampNanosecond()]) {
    // Arrow's own reader refuses seconds and milliseconds beyond a double's exact integers.
    const exact = type.unit === TimeUnit.SECOND || type.unit === TimeUnit.MILLISECOND;
    const values = exact ? stamps.filter((stamp) => stamp < 2n ** 53n && stamp > -(2n ** 53n)) : stamps;
    const table = new Table({ at: makeVector(makeData({ type, length: values.length, nullCount: 0, data: BigInt64Array.from(values) })) });
    const lines = encodeTableAsJsonLines(table)!.toString('utf8').trimEnd().split('\n');
    // The oracle: apache-arrow's own row reader, written by JSON.stringify.
    t.deepEqual(lines, table.toArray().map((row) => JSON.stringify({ at: (row as { at: unknown }).at })), String(type));
  }
});

test('WithColumnsOperator adds and replaces columns from each row, keeps the rest, and writes them as the formula says', async (t) => {
  const dir = await tempDir('solstice-with-columns-');
  const path = join(dir, 'orders.jsonl');
  const orders = [...sampleOrders(5000)];
  await writeFile(path, orders.map((order) => `${JSON.stringify(order)}\n`).join(''));
  const job = new Job({ jobId: 'with-columns' });
  job.addStage(new Stage('source', FileSource, { paths: path, batchRows: 800 }, 2));
  job.addStage(new Stage('priced', WithColumnsOperator<{ price: number; qty: number }>, {
    columns: { total: (order) => Math.round(order.price * order.qty * 100) / 100, qty: (order) => order.qty * 2 },
  }, 2), ['source']);
  job.addStage(new Stage('sink', FileSink, { path: join(dir, 'out'), format: 'parquet' }, 2), ['priced']);
  await job.createRunner(isolatedState()).run();

  const written = (await readParquetDir(join(dir, 'out'))).sort((a, b) => (a.order_id as number) - (b.order_id as number));
  t.deepEqual(written, orders.map((order) => ({ ...order, qty: order.qty * 2, total: Math.round(order.price * order.qty * 100) / 100 })));
  const files = (await readdir(join(dir, 'out'))).filter((n) => n.endsWith('.parquet'));
  const schema = (await parquetMetadataAsync(await asyncBufferFromFile(join(dir, 'out', files[0]!)))).schema.slice(1).map((field) => field.name);
  t.deepEqual(schema, ['order_id', 'customer', 'product', 'price', 'qty', 'total'], 'a replaced column keeps its place, a new one comes last');
});

test('WithColumnsOperator works on rows that are not one table, and names the row its function fails on', async (t) => {
  const dir = await tempDir('solstice-with-columns-rows-');
  const path = join(dir, 'mixed.jsonl');
  await writeFile(path, '{"id":1,"a":2}\n{"id":2}\n{"id":3,"a":"x"}\n');
  const job = new Job({ jobId: 'with-columns-rows' });
  job.addStage(new Stage('source', FileSource, { paths: path }, 1));
  job.addStage(new Stage('tagged', WithColumnsOperator, { columns: { tag: (row: Row) => `#${String(row.id)}` } }, 1), ['source']);
  job.addStage(new Stage('sink', FileSink, { path: join(dir, 'out'), format: 'jsonl' }, 1), ['tagged']);
  await job.createRunner(isolatedState()).run();
  const written = (await readJsonLinesDir(join(dir, 'out'))).sort((a, b) => (a.id as number) - (b.id as number));
  t.deepEqual(written, [{ id: 1, a: 2, tag: '#1' }, { id: 2, tag: '#2' }, { id: 3, a: 'x', tag: '#3' }]);

  const failing = new Job({ jobId: 'with-columns-fails' });
  const orders = join(dir, 'orders.jsonl');
  await writeFile(orders, [...sampleOrders(50)].map((order) => `${JSON.stringify(order)}\n`).join(''));
  failing.addStage(new Stage('source', FileSource, { paths: orders }, 1));
  failing.addStage(new Stage('checked', WithColumnsOperator, {
    columns: { ok: (row: Row) => { if (row.order_id === 17) throw new Error('no order 17'); return true; } },
  }, 1), ['source']);
  failing.addStage(new Stage('sink', FileSink, { path: join(dir, 'out2'), format: 'jsonl' }, 1), ['checked']);
  const error = await t.throwsAsync(failing.createRunner(isolatedState()).run(), { instanceOf: OperatorError });
  const cause = error!.cause as RowFunctionError;
  t.true(cause instanceof RowFunctionError, String(cause));
  t.is(cause.row, 17);
  t.regex(cause.message, /^row 17 \(\{"order_id":17,.*no order 17/);
});

test('a map over Arrow data writes what its function returns: columns it copies keep their types, values it changes in place are the new ones', async (t) => {
  const dir = await tempDir('solstice-map-arrow-');
  const count = 2000;
  const input = join(dir, 'events.parquet');
  await writeFile(input, new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: 'id', data: Int32Array.from({ length: count }, (_, i) => i), type: 'INT32' },
      { name: 'at', data: Array.from({ length: count }, (_, i) => new Date(1_700_000_000_000 + i * 1000)), type: 'TIMESTAMP' },
      { name: 'score', data: Float64Array.from({ length: count }, (_, i) => i / 4), type: 'DOUBLE' },
    ],
  })));
  const job = new Job({ jobId: 'map-arrow' });
  job.addStage(new Stage('source', FileSource, { paths: input, batchRows: 500 }, 1));
  // Copies `id` and `at`, changes `score` on its input row in place, adds `even`.
  job.addStage(new Stage('mapped', MapOperator, {
    fn: (row: Row) => {
      row.score = (row.score as number) * 2;
      return { ...row, even: (row.id as number) % 2 === 0 };
    },
  }, 1), ['source']);
  job.addStage(new Stage('sink', FileSink, { path: join(dir, 'out'), format: 'parquet' }, 1), ['mapped']);
  await job.createRunner(isolatedState()).run();

  const written = (await readParquetDir(join(dir, 'out'))).sort((a, b) => (a.id as number) - (b.id as number));
  t.deepEqual(written, Array.from({ length: count }, (_, i) => ({
    id: i, at: new Date(1_700_000_000_000 + i * 1000), score: i / 2, even: i % 2 === 0,
  })));
  const files = (await readdir(join(dir, 'out'))).filter((n) => n.endsWith('.parquet'));
  const [id, at] = (await parquetMetadataAsync(await asyncBufferFromFile(join(dir, 'out', files[0]!)))).schema.slice(1);
  t.is(id!.type, 'INT32', 'a copied int32 column stays int32');
  t.is(at!.type, 'INT64', 'a copied timestamp column stays a timestamp');
  t.true(at!.logical_type?.type === 'TIMESTAMP' || String(at!.converted_type).startsWith('TIMESTAMP'), JSON.stringify(at));
});

test('a map that changes a nested value in place writes the changed value', async (t) => {
  const dir = await tempDir('solstice-map-nested-');
  const path = join(dir, 'tagged.jsonl');
  await writeFile(path, Array.from({ length: 300 }, (_, i) => `${JSON.stringify({ id: i, tags: [`t${i}`] })}\n`).join(''));
  const job = new Job({ jobId: 'map-nested' });
  job.addStage(new Stage('source', FileSource, { paths: path, batchRows: 100 }, 1));
  job.addStage(new Stage('mapped', MapOperator, {
    fn: (row: Row) => {
      (row.tags as string[]).push('seen');
      return { ...row };
    },
  }, 1), ['source']);
  job.addStage(new Stage('sink', FileSink, { path: join(dir, 'out'), format: 'parquet' }, 1), ['mapped']);
  await job.createRunner(isolatedState()).run();
  const written = (await readParquetDir(join(dir, 'out'))).sort((a, b) => (a.id as number) - (b.id as number));
  t.deepEqual(written, Array.from({ length: 300 }, (_, i) => ({ id: i, tags: [`t${i}`, 'seen'] })));
});
