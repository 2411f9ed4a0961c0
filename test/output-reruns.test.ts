/**
 * A FileSink's output folder belongs to one run of a job: its restores write
 * on there, a new run refuses it rather than write beside another run's files.
 */
import test from 'ava';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileSink, FileSource, Job, MapOperator, OutputConflictError, Stage } from '../lib/index.js';
import { runCli } from './support/cli.js';
import { sameRows } from './support/compare.js';
import { isolatedState, readJsonLinesDir, sortBy, tempDir } from './support/files.js';
import { expectedOrders } from './support/orders-expected.js';

test('re-running a completed job into its output folder with other split sizes is refused, and the first output stays as it was', async (t) => {
  const dir = await tempDir();
  const output = join(dir, 'out');
  const run = ['run', '--workflow', 'simple_etl', '--job-id', 'etl', '--rows', '4000', '--output', output, '--format', 'jsonl', '--progress-interval', '0'];
  const first = await runCli([...run, '--split-bytes', '40000'], { cwd: dir });
  t.is(first.code, 0, first.stderr);
  const files = (await readdir(output)).sort();
  const expected = await expectedOrders(join(dir, 'data', 'simple_etl', 'orders-4000.jsonl'), 100);
  sameRows(t, sortBy(await readJsonLinesDir(output), (row) => row.order_id as number), expected);

  const again = await runCli([...run, '--split-bytes', '100000'], { cwd: dir });
  t.is(again.code, 1);
  t.regex(again.stderr, new RegExp(
    `OutputConflictError: FileSink output folder '${output}' holds \\d+ file\\(s\\) written by another run of job 'etl', started \\S+ \\(part-source-00000\\.jsonl, .*\\); ` +
      'a new run does not write beside them: remove them or write elsewhere',
  ));
  t.deepEqual((await readdir(output)).sort(), files, 'nothing added or removed');
  sameRows(t, sortBy(await readJsonLinesDir(output), (row) => row.order_id as number), expected);
});

/** source (JSON lines) -> +1 -> FileSink(output), one worker each. */
function copyJob(jobId: string, input: string, output: string, options: { deadLetters?: string } = {}): Job {
  const job = new Job({ jobId, ...(options.deadLetters ? { deadLetter: { path: options.deadLetters } } : {}) });
  job.addStage(new Stage('source', FileSource, { paths: input }, 1, options.deadLetters ? { onError: 'dead-letter' } : {}));
  job.addStage(new Stage('plus', MapOperator, { fn: (row) => ({ n: (row.n as number) + 1 }) }, 1), ['source']);
  job.addStage(new Stage('sink', FileSink, { path: output, format: 'jsonl' }, 1), ['plus']);
  return job;
}

test('a new run refuses a folder of files no run wrote, and another job\'s output; a folder of hidden and _ names only is taken', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'in.jsonl');
  await writeFile(input, Array.from({ length: 50 }, (_, n) => JSON.stringify({ n })).join('\n'));

  const foreign = join(dir, 'foreign');
  await mkdir(foreign);
  await writeFile(join(foreign, 'notes.txt'), 'mine\n');
  await t.throwsAsync(copyJob('a', input, foreign).createRunner(isolatedState()).run(), {
    instanceOf: OutputConflictError, message: /holds 1 file\(s\) written by no run of a solstice-node job \(notes\.txt\)/,
  });
  t.deepEqual(await readdir(foreign), ['notes.txt']);

  const shared = join(dir, 'shared');
  await copyJob('a', input, shared).createRunner(isolatedState()).run();
  await t.throwsAsync(copyJob('b', input, shared).createRunner(isolatedState()).run(), {
    instanceOf: OutputConflictError, message: /written by another run \(job 'a'\), started/,
  });
  // The same job started over (restore none) is a new run too.
  await t.throwsAsync(copyJob('a', input, shared).createRunner({ ...isolatedState(), restore: 'none' }).run(), {
    instanceOf: OutputConflictError, message: /written by another run of job 'a'/,
  });

  const quiet = join(dir, 'quiet');
  await mkdir(join(quiet, '_logs'), { recursive: true });
  await writeFile(join(quiet, '.keep'), '');
  await copyJob('c', input, quiet).createRunner(isolatedState()).run();
  sameRows(t, sortBy(await readJsonLinesDir(quiet), (row) => row.n as number), Array.from({ length: 50 }, (_, n) => ({ n: n + 1 })));
  t.is(JSON.parse(await readFile(join(quiet, '_solstice_run'), 'utf8')).jobId, 'c');
});

test('a stage\'s dead letters from an earlier run are not mixed with a new run\'s', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'in.jsonl');
  await writeFile(input, '{"n":1}\nnot json\n{"n":2}\n');
  const deadLetters = join(dir, 'dead');
  await copyJob('letters', input, join(dir, 'out1'), { deadLetters }).createRunner(isolatedState()).run();
  t.is((await readJsonLinesDir(join(deadLetters, 'source'))).length, 1);
  await t.throwsAsync(copyJob('letters', input, join(dir, 'out2'), { deadLetters }).createRunner(isolatedState()).run(), {
    instanceOf: OutputConflictError, message: new RegExp(`^dead letter folder '${join(deadLetters, 'source')}' holds 1 file\\(s\\) written by another run of job 'letters'`),
  });
});
