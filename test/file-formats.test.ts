import test from 'ava';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { FileSink, FileSource, Job, OperatorConfigError, Stage, type FileSinkFormat, type FileSourceConfig } from '../lib/index.js';
import { sameRows } from './support/compare.js';
import { parquetRowGroupRows, readJsonLinesDir, readParquetDir, sortBy, tempDir, isolatedState } from './support/files.js';

async function copyThrough(source: FileSourceConfig, format: FileSinkFormat, output: string) {
  const job = new Job({ jobId: `copy-${format}` });
  job.addStage(new Stage('source', FileSource, source, 2));
  job.addStage(new Stage('sink', FileSink, { path: output, format }, 2), ['source']);
  return job.createRunner(isolatedState()).run();
}

test('JSON lines split by byte range: every line is read exactly once', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'big.jsonl');
  const rows = Array.from({ length: 4000 }, (_, i) => ({ id: i, text: `row ${i} ${'x'.repeat(i % 37)}`, flag: i % 3 === 0 }));
  await writeFile(input, rows.map((r) => JSON.stringify(r)).join('\n') + '\n\n');
  const summary = await copyThrough({ paths: input, splitBytes: 997 }, 'jsonl', join(dir, 'out'));
  t.true(summary.stages[0]!.splitsPlanned! > 100);
  sameRows(t, sortBy(await readJsonLinesDir(join(dir, 'out')), (r) => r.id as number), rows);
});

test('CSV with a header, quoted fields and typed columns, split by byte range', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'people.csv');
  const n = 1500;
  const lines = ['id,name,score,active,note'];
  for (let i = 0; i < n; i++) lines.push(`${i},"Doe, ${i}",${(i * 1.5).toFixed(1)},${i % 2 === 0},${i % 5 === 0 ? '' : `"say ""hi"" ${i}"`}`);
  await writeFile(input, lines.join('\n') + '\n');
  const summary = await copyThrough({ paths: input, splitBytes: 2048 }, 'jsonl', join(dir, 'out'));
  t.true(summary.stages[0]!.splitsPlanned! > 20, 'the file is read as many byte ranges');
  // Integers and decimals inferred as numbers, true/false as booleans, the empty note as null, "" as one quote.
  const expected = Array.from({ length: n }, (_, i) => ({
    id: i, name: `Doe, ${i}`, score: i * 1.5, active: i % 2 === 0, note: i % 5 === 0 ? null : `say "hi" ${i}`,
  }));
  sameRows(t, sortBy(await readJsonLinesDir(join(dir, 'out')), (r) => r.id as number), expected);
});

test('CSV with another delimiter: commas are plain text and the file still splits by byte range', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'semicolons.csv');
  const n = 2000;
  const lines = ['id;label;price'];
  for (let i = 0; i < n; i++) lines.push(`${i};a, b and c ${i};${i},${i % 100}`);
  await writeFile(input, lines.join('\n') + '\n');
  const summary = await copyThrough({ paths: input, splitBytes: 1500, csv: { delimiter: ';' } }, 'jsonl', join(dir, 'out'));
  t.true(summary.stages[0]!.splitsPlanned! > 20, 'the file is read as many byte ranges');
  // 'price' holds '12,34': not a number, so a string column.
  const expected = Array.from({ length: n }, (_, i) => ({ id: i, label: `a, b and c ${i}`, price: `${i},${i % 100}` }));
  sameRows(t, sortBy(await readJsonLinesDir(join(dir, 'out')), (r) => r.id as number), expected);
});

test("CSV with another quote character: delimiters, double quotes and doubled quote characters inside quoted fields", async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'single-quoted.csv');
  const n = 1200;
  const lines = ['id,name,remark'];
  for (let i = 0; i < n; i++) lines.push(`${i},'O''Brien, ${i}','he said "${i}"'`);
  await writeFile(input, lines.join('\n') + '\n');
  const summary = await copyThrough({ paths: input, splitBytes: 1024, csv: { quote: "'" } }, 'jsonl', join(dir, 'out'));
  t.true(summary.stages[0]!.splitsPlanned! > 20, 'the file is read as many byte ranges');
  const expected = Array.from({ length: n }, (_, i) => ({ id: i, name: `O'Brien, ${i}`, remark: `he said "${i}"` }));
  sameRows(t, sortBy(await readJsonLinesDir(join(dir, 'out')), (r) => r.id as number), expected);
});

test('CSV whose quoted fields hold newlines is read whole, one split per file, with every field intact', async (t) => {
  const dir = await tempDir();
  const files = 3;
  const perFile = 500;
  const address = (i: number) => `${i} Main Street\nFloor ${i % 9}\n\nTown, "${i % 13}"`;
  for (let f = 0; f < files; f++) {
    const lines = ['id,address,zip'];
    for (let i = f * perFile; i < (f + 1) * perFile; i++) lines.push(`${i},"${address(i).replaceAll('"', '""')}",${10_000 + i}`);
    await writeFile(join(dir, `addresses-${f}.csv`), lines.join('\n') + '\n');
  }
  const summary = await copyThrough({ paths: join(dir, '*.csv'), splitBytes: 256, csv: { multilineFields: true } }, 'jsonl', join(dir, 'out'));
  t.is(summary.stages[0]!.splitsPlanned, files, 'one split per file, whatever splitBytes says');
  const expected = Array.from({ length: files * perFile }, (_, i) => ({ id: i, address: address(i), zip: 10_000 + i }));
  sameRows(t, sortBy(await readJsonLinesDir(join(dir, 'out')), (r) => r.id as number), expected);
});

test('CSV column types can be given instead of inferred', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'codes.csv');
  await writeFile(input, 'code,label\n007,a\n010,b\n');
  await copyThrough({ paths: input, csv: { columnTypes: { code: 'string' } } }, 'jsonl', join(dir, 'out'));
  t.deepEqual(sortBy(await readJsonLinesDir(join(dir, 'out')), (r) => r.code as string), [{ code: '007', label: 'a' }, { code: '010', label: 'b' }]);
});

test('Parquet written by another writer is read by row groups, one split per group, and written back as Parquet', async (t) => {
  const dir = await tempDir();
  const n = 10_000;
  const ids = Array.from({ length: n }, (_, i) => i);
  // Uneven row groups (700, then 1500 each, then the rest) so that splits can only match them by reading the footer.
  const input = parquetWriteBuffer({
    columnData: [
      { name: 'id', data: Int32Array.from(ids), type: 'INT32' },
      { name: 'value', data: Float64Array.from(ids, (i) => i / 4), type: 'DOUBLE' },
      { name: 'big', data: BigInt64Array.from(ids, (i) => BigInt(i) * 1_000_000_007n), type: 'INT64' },
      { name: 'name', data: ids.map((i) => (i % 7 === 0 ? null : `name ${i} é`)), type: 'STRING' },
    ],
    rowGroupSize: [700, 1500],
  });
  await writeFile(join(dir, 'in.parquet'), new Uint8Array(input));
  const groups = await parquetRowGroupRows(join(dir, 'in.parquet'));
  t.deepEqual(groups, [700, 1500, 1500, 1500, 1500, 1500, 1500, 300], 'the input as the writer laid it out');

  const summary = await copyThrough({ paths: join(dir, '*.parquet'), splitBytes: 1 }, 'parquet', join(dir, 'out'));
  t.is(summary.stages[0]!.splitsPlanned, groups.length);
  // One output file per split: their row counts are the input's row groups.
  const out = join(dir, 'out');
  const files = (await readdir(out)).filter((name) => name.endsWith('.parquet'));
  const fileRows = await Promise.all(files.map(async (name) => (await parquetRowGroupRows(join(out, name))).reduce((a, b) => a + b, 0)));
  t.deepEqual(fileRows.sort((a, b) => a - b), [...groups].sort((a, b) => a - b));
  // hyparquet reads INT32 and DOUBLE as numbers, INT64 as bigints, UTF8 as strings and nulls as null.
  const expected = ids.map((i) => ({ id: i, value: i / 4, big: BigInt(i) * 1_000_000_007n, name: i % 7 === 0 ? null : `name ${i} é` }));
  sameRows(t, sortBy(await readParquetDir(out), (r) => r.id as number), expected);
});

test('a folder input reads every file in it, in name order, skipping _ and . files', async (t) => {
  const dir = await tempDir();
  await writeFile(join(dir, 'a.jsonl'), '{"v":1}\n');
  await writeFile(join(dir, 'b.csv'), 'v\n2\n');
  await writeFile(join(dir, '_ignored.jsonl'), '{"v":99}\n');
  await writeFile(join(dir, '.hidden.jsonl'), '{"v":98}\n');
  const out = join(await tempDir(), 'out');
  await copyThrough({ paths: dir }, 'csv', out);
  const files = (await readdir(out)).filter((name) => !name.startsWith('_')).sort();
  t.deepEqual(files, ['part-source-00000.csv', 'part-source-00001.csv']);
  t.deepEqual(await Promise.all(files.map((name) => readFile(join(out, name), 'utf8'))), ['v\n1\n', 'v\n2\n']);
});

test('a format that does not exist is refused by the source and by the sink, naming the formats there are', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'rows.jsonl');
  await writeFile(input, '{"id":1}\n');
  await t.throwsAsync(copyThrough({ paths: input, format: 'xml' as FileSinkFormat }, 'jsonl', join(dir, 'out1')), {
    instanceOf: OperatorConfigError,
    message: "Stage 'source': FileSource format must be jsonl, json, csv or parquet, got 'xml'",
  });
  await t.throwsAsync(copyThrough({ paths: input }, 'xml' as FileSinkFormat, join(dir, 'out2')), {
    instanceOf: OperatorConfigError,
    message: "Stage 'sink': FileSink format must be jsonl, json, csv or parquet, got 'xml'",
  });
});

test('a file whose extension names no format is refused, asking for the format', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'rows.txt');
  await writeFile(input, '{"id":1}\n');
  await t.throwsAsync(copyThrough({ paths: input }, 'jsonl', join(dir, 'out')), {
    instanceOf: OperatorConfigError,
    message: `Cannot tell the format of '${input}' from its extension; set FileSource's 'format'`,
  });
});

test('CSV inference keeps every value as written: zip codes with leading zeros, +1, 1e3 and huge integers stay text; a later value that would change is refused, naming the fix', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'zips.csv');
  const zips = ['00501', '10001', '02134', '99950'];
  const lines = ['zip_code,plus,exp,big,price,count', ...Array.from({ length: 40 }, (_, i) => `${zips[i % 4]},+${i},${i}e3,${9007199254740993n + BigInt(i)},${i}.50,${i}`)];
  await writeFile(input, `${lines.join('\n')}\n`);
  await copyThrough({ paths: input }, 'jsonl', join(dir, 'out'));
  const rows = (await readJsonLinesDir(join(dir, 'out'))).sort((a, b) => Number(a.count) - Number(b.count));
  t.deepEqual(rows.map((row) => row.zip_code), Array.from({ length: 40 }, (_, i) => zips[i % 4]));
  t.deepEqual(rows.map((row) => [row.plus, row.exp, row.big]), Array.from({ length: 40 }, (_, i) => [`+${i}`, `${i}e3`, String(9007199254740993n + BigInt(i))]));
  t.deepEqual(rows.map((row) => [row.price, row.count]), Array.from({ length: 40 }, (_, i) => [i + 0.5, i]), 'plain decimals and integers are numbers');

  // Past the rows types are inferred from, a count written with a leading zero would lose it: refused.
  const late = join(dir, 'late.csv');
  await writeFile(late, `${['id,code', ...Array.from({ length: 1500 }, (_, i) => `${i},${i === 1400 ? '007' : String(i)}`)].join('\n')}\n`);
  await t.throwsAsync(copyThrough({ paths: late }, 'jsonl', join(dir, 'out2')), {
    message: /late\.csv \(line 1402\): column 'code' expects number, got "007" \(its type was inferred from the file's first 1000 rows; set csv\.columnTypes: \{ "code": 'string' \} to read it as text\)/,
  });
});

test('JSON integers past 2^53 (64-bit ids) stay exact through a job: INT64 in Parquet, every digit in JSON lines', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'ids.jsonl');
  const count = 3000;
  const idOf = (n: number) => 1152921504606846976n + BigInt(n) * 7919n * (n % 2 === 0 ? 1n : -1n);
  // Every 450th line has a key the others lack: its splits are read as rows, the others straight into columns.
  const lines = Array.from({ length: count }, (_, n) => `{"id": ${idOf(n)}, "n": ${n}${n % 450 === 0 ? ', "note": "odd one"' : ''}}`);
  await writeFile(input, `${lines.join('\n')}\n`);

  await copyThrough({ paths: input, splitBytes: 8192 }, 'parquet', join(dir, 'parquet'));
  const names = (await readdir(join(dir, 'parquet'))).filter((name) => name.endsWith('.parquet'));
  for (const name of names) {
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(join(dir, 'parquet', name)));
    t.is(metadata.schema.find((element) => element.name === 'id')?.type, 'INT64', name);
  }
  const rows = sortBy(await readParquetDir(join(dir, 'parquet')), (row) => Number(row.n));
  t.deepEqual(rows.map((row) => row.id), Array.from({ length: count }, (_, n) => idOf(n)), 'every id exact, as hyparquet reads INT64');

  await copyThrough({ paths: input, splitBytes: 8192 }, 'jsonl', join(dir, 'jsonl'));
  const written = (await Promise.all((await readdir(join(dir, 'jsonl'))).filter((name) => name.endsWith('.jsonl'))
    .map((name) => readFile(join(dir, 'jsonl', name), 'utf8')))).join('').split('\n').filter(Boolean);
  const ids = new Map(written.map((line) => [Number(/"n":(\d+)/.exec(line)![1]), /"id":(-?\d+)[,}]/.exec(line)?.[1]]));
  t.is(ids.size, count);
  for (let n = 0; n < count; n++) t.is(ids.get(n), String(idOf(n)), `line ${n}: the id as a JSON number, every digit`);
});

test('CSV columnTypes integer is a 64-bit integer column, exact beyond 2^53; a value that is no integer or overflows 64 bits is refused', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'ids.csv');
  const ids = Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? 9007199254740993n + BigInt(i) : -BigInt(i)));
  await writeFile(input, `${['id,n', ...ids.map((id, i) => `${id},${i}`)].join('\n')}\n`);
  await copyThrough({ paths: input, csv: { columnTypes: { id: 'integer' } } }, 'parquet', join(dir, 'out'));
  const names = (await readdir(join(dir, 'out'))).filter((name) => name.endsWith('.parquet'));
  const metadata = await parquetMetadataAsync(await asyncBufferFromFile(join(dir, 'out', names[0]!)));
  t.is(metadata.schema.find((element) => element.name === 'id')?.type, 'INT64');
  const rows = sortBy(await readParquetDir(join(dir, 'out')), (row) => Number(row.n));
  t.deepEqual(rows.map((row) => row.id), ids, 'every id exact, as hyparquet reads INT64');

  for (const [bad, why] of [['12.5', 'a decimal'], ['9223372036854775808', 'past 64 bits']] as const) {
    const file = join(dir, `bad-${why.replace(/\W/g, '')}.csv`);
    await writeFile(file, `id\n1\n${bad}\n`);
    await t.throwsAsync(copyThrough({ paths: file, csv: { columnTypes: { id: 'integer' } } }, 'jsonl', join(dir, `out-${why.replace(/\W/g, '')}`)), {
      message: new RegExp(`\\(line 3\\): column 'id' expects integer, got "${bad}"`),
    }, why);
  }
});

test('a glob skips what its wildcards match under names starting with _ or . (a sink\'s _staging/, hidden files), as a folder input does', async (t) => {
  const dir = await tempDir();
  const { mkdir } = await import('node:fs/promises');
  for (const sub of ['a', '_staging/e1', '.hidden', 'b']) await mkdir(join(dir, 'in', sub), { recursive: true });
  await writeFile(join(dir, 'in', 'a', 'one.jsonl'), '{"id":1}\n');
  await writeFile(join(dir, 'in', 'b', 'two.jsonl'), '{"id":2}\n');
  await writeFile(join(dir, 'in', '_staging', 'e1', 'part.jsonl'), '{"id":98}\n');
  await writeFile(join(dir, 'in', '.hidden', 'x.jsonl'), '{"id":99}\n');
  await writeFile(join(dir, 'in', 'b', '_draft.jsonl'), '{"id":97}\n');
  await copyThrough({ paths: join(dir, 'in', '**', '*.jsonl') }, 'jsonl', join(dir, 'out'));
  t.deepEqual((await readJsonLinesDir(join(dir, 'out'))).map((row) => row.id).sort(), [1, 2]);
});
