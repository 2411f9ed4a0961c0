import test from 'ava';
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createJob } from '../workflows/simple_etl/index.js';
import { runCli } from './support/cli.js';
import { sameRows } from './support/compare.js';
import { expectedOrders } from './support/orders-expected.js';
import { readJsonLinesDir, readParquetDir, sortBy, tempDir, isolatedState } from './support/files.js';

test('simple_etl writes exactly the orders over the threshold, with totals, as Parquet', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'orders.jsonl');
  const output = join(dir, 'out');
  const { sampleOrders } = await import('../workflows/simple_etl/sample-orders.js');
  await writeFile(input, [...sampleOrders(30_000, 7)].map((o) => JSON.stringify(o)).join('\n') + '\n');

  const job = await createJob('etl-test', { input, output, splitBytes: 100_000 });
  const summary = await job.createRunner(isolatedState()).run();

  const expected = await expectedOrders(input, 100);
  const actual = sortBy(await readParquetDir(output), (r) => r.order_id as number);
  t.true(expected.length > 1000 && expected.length < 30_000);
  sameRows(t, actual, expected);
  const byStage = Object.fromEntries(summary.stages.map((s) => [s.stage, s]));
  t.is(byStage.source!.rowsOut, 30_000);
  t.true(byStage.source!.splitsPlanned! > 10, 'the input is read as many byte-range splits');
  t.is(byStage.filter!.rowsOut, expected.length);
  t.is(byStage.sink!.rowsIn, expected.length);
  t.false(existsSync(join(output, '_staging')), 'no staging leftovers');
  t.is((await readdir(output)).filter((n) => n.endsWith('.parquet')).length, byStage.sink!.splitsIn);
});

test('solstice-node run executes simple_etl end to end and prints a per-stage summary', async (t) => {
  const dir = await tempDir();
  const output = join(dir, 'out');
  const result = await runCli(['run', '--workflow', 'simple_etl', '--job-id', 'cli-etl', '--rows', '5000', '--output', output, '--format', 'jsonl', '--min-total', '50'], { cwd: dir });
  t.is(result.code, 0, result.stderr);
  const input = join(dir, 'data', 'simple_etl', 'orders-5000.jsonl');
  t.true(existsSync(input), 'the sample data set is generated under data/');
  const expected = await expectedOrders(input, 50);
  const actual = sortBy(await readJsonLinesDir(output), (r) => r.order_id as number);
  sameRows(t, actual, expected);
  t.regex(result.stdout, /^stage\s+workers\s+splits in/m);
  // Every stage runs with simple_etl's default parallelism, 4 workers, fused into one chain.
  t.regex(result.stdout, /^plan: source\+transform\+filter\+sink$/m);
  t.regex(result.stdout, /^source\s+4\s+\d+\s+\d+\s+5000\s+5000/m);
  t.regex(result.stdout, new RegExp(`^sink\\s+4\\s+\\d+\\s+0\\s+${expected.length}\\s+0`, 'm'));
});
