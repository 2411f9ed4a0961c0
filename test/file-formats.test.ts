import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import { FileSink, FileSource, Job, Stage, type FileSinkFormat, type FileSourceConfig } from '../lib/index.js';
import { encodeParquet } from '../lib/parquet-codec.js';
import { readJsonLinesDir, readParquetDir, sortBy, tempDir, isolatedState } from './support/files.js';

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
  t.deepEqual(sortBy(await readJsonLinesDir(join(dir, 'out')), (r) => r.id as number), rows);
});

test('CSV with a header, quoted fields and typed columns, split by byte range', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'people.csv');
  const lines = ['id,name,score,active,note'];
  for (let i = 0; i < 1500; i++) lines.push(`${i},"Doe, ${i}",${(i * 1.5).toFixed(1)},${i % 2 === 0},${i % 5 === 0 ? '' : `"say ""hi"" ${i}"`}`);
  await writeFile(input, lines.join('\n') + '\n');
  await copyThrough({ paths: input, splitBytes: 2048 }, 'jsonl', join(dir, 'out'));
  const out = sortBy(await readJsonLinesDir(join(dir, 'out')), (r) => r.id as number);
  t.is(out.length, 1500);
  t.deepEqual(out[10], { id: 10, name: 'Doe, 10', score: 15, active: true, note: null });
  t.deepEqual(out[11], { id: 11, name: 'Doe, 11', score: 16.5, active: false, note: 'say "hi" 11' });
});

test('CSV column types can be given instead of inferred', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'codes.csv');
  await writeFile(input, 'code,label\n007,a\n010,b\n');
  await copyThrough({ paths: input, csv: { columnTypes: { code: 'string' } } }, 'jsonl', join(dir, 'out'));
  t.deepEqual(sortBy(await readJsonLinesDir(join(dir, 'out')), (r) => r.code as string), [{ code: '007', label: 'a' }, { code: '010', label: 'b' }]);
});

test('Parquet is read by row groups, one split per group, and written back as Parquet', async (t) => {
  const dir = await tempDir();
  const n = 10_000;
  const table = tableFromArrays({ id: Int32Array.from({ length: n }, (_, i) => i), value: Float64Array.from({ length: n }, (_, i) => i / 4) });
  await writeFile(join(dir, 'in.parquet'), encodeParquet(table, { rowGroupSize: 1000 }));
  const summary = await copyThrough({ paths: join(dir, '*.parquet'), splitBytes: 1 }, 'parquet', join(dir, 'out'));
  t.is(summary.stages[0]!.splitsPlanned, 10);
  const out = sortBy(await readParquetDir(join(dir, 'out')), (r) => r.id as number);
  t.is(out.length, n);
  t.deepEqual(out[1234], { id: 1234, value: 308.5 });
});

test('a folder input reads every file in it, in name order, skipping _ and . files', async (t) => {
  const dir = await tempDir();
  await writeFile(join(dir, 'a.jsonl'), '{"v":1}\n');
  await writeFile(join(dir, 'b.csv'), 'v\n2\n');
  await writeFile(join(dir, '_ignored.jsonl'), '{"v":99}\n');
  await writeFile(join(dir, '.hidden.jsonl'), '{"v":98}\n');
  const out = join(await tempDir(), 'out');
  await copyThrough({ paths: dir }, 'csv', out);
  const { readdir, readFile } = await import('node:fs/promises');
  const files = (await readdir(out)).sort();
  t.deepEqual(files, ['part-source-00000.csv', 'part-source-00001.csv']);
  t.is(await readFile(join(out, files[1]!), 'utf8'), 'v\n2\n');
});
