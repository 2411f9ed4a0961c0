import test from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileSink, FileSource, Job, MapOperator, OperatorError, Stage, type Row } from '../lib/index.js';
import { createJob, refused } from './fixtures/bad_records_workflow.js';
import { runCli } from './support/cli.js';
import { isolatedState, readJsonLinesDir, tempDir, writeIdFiles } from './support/files.js';
import { openLance, stagedTables } from './support/lance-tables.js';

const WORKFLOW = fileURLToPath(new URL('./fixtures/bad_records_workflow.js', import.meta.url));
const FILES = 4;
const PER_FILE = 500;

/** Whether the generator writes line `id` malformed. */
const malformed = (id: number) => id % 250 === 7;

/** `FILES` JSON lines files of ids; the malformed lines are `{"id": <id>, broken`. */
async function input(dir: string): Promise<string> {
  const folder = join(dir, 'in');
  await mkdir(folder, { recursive: true });
  for (let f = 0; f < FILES; f++) {
    const lines = Array.from({ length: PER_FILE }, (_, i) => {
      const id = f * PER_FILE + i;
      return malformed(id) ? `{"id": ${id}, broken` : JSON.stringify({ id });
    });
    await writeFile(join(folder, `part-${f}.jsonl`), `${lines.join('\n')}\n`);
  }
  return folder;
}

const ids = (rows: Row[]) => rows.map((row) => Number(row.id)).sort((a, b) => a - b);
const all = Array.from({ length: FILES * PER_FILE }, (_, id) => id);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

test('with onError dead-letter, every good record comes out once and every bad one is a dead letter naming its file, line, record and error', async (t) => {
  const dir = await tempDir();
  const folder = await input(dir);
  const deadLetters = join(dir, 'dead');
  const output = join(dir, 'out');
  const summary = await (await createJob('dead', { input: folder, output })).createRunner({ ...isolatedState(), deadLetter: deadLetters }).run();

  t.deepEqual(ids(await readJsonLinesDir(output)), all.filter((id) => !malformed(id) && !refused(id)));
  const unreadable = await readJsonLinesDir(join(deadLetters, 'source'));
  t.deepEqual(unreadable.map((letter) => letter.record).sort(), all.filter(malformed).map((id) => `{"id": ${id}, broken`).sort());
  for (const letter of unreadable) {
    const id = Number(/\d+/.exec(String(letter.record))![0]);
    t.is(letter.file, join(folder, `part-${Math.floor(id / PER_FILE)}.jsonl`));
    t.is(letter.line, (id % PER_FILE) + 1, 'the 1-based line of the file');
    t.is(letter.error, 'InputFormatError');
    t.regex(String(letter.message), /malformed JSON/);
    t.is(letter.stage, 'source');
  }
  const rejected = await readJsonLinesDir(join(deadLetters, 'check'));
  t.deepEqual(rejected.map((letter) => JSON.parse(String(letter.record)).id).sort((a, b) => a - b), all.filter((id) => refused(id) && !malformed(id)));
  t.true(rejected.every((letter) => letter.error === 'RowFunctionError' && /is refused/.test(String(letter.message)) && letter.attempts === 1 && typeof letter.stack === 'string'));

  const byStage = Object.fromEntries(summary.stages.map((stage) => [stage.stage, stage]));
  t.is(byStage.source!.deadLetters, unreadable.length);
  t.is(byStage.check!.deadLetters, rejected.length);
  t.deepEqual(summary.deadLetters, { path: deadLetters, count: unreadable.length + rejected.length });
  t.true(summary.warnings.some((warning) => warning.includes(`${rejected.length} bad record(s) of stage 'check' written to the dead letters in ${join(deadLetters, 'check')}`)));
});

test('dead letters in a Lance table: one row per bad record with its job and run, and a second run adds its own beside them', async (t) => {
  const dir = await tempDir();
  const folder = await input(dir);
  const table = join(dir, 'dead.lance');
  const runs: Record<string, unknown>[][] = [];
  for (const [n, jobId] of ['lance-dead', 'lance-dead-again'].entries()) {
    const runner = (await createJob(jobId, { input: folder, output: join(dir, `out${n}`) })).createRunner({ ...isolatedState(), deadLetter: table });
    // The runner creates the table before any worker writes: workers that each created it raced, and Lance committed a
    // second create as an overwrite of the first.
    await runner.initialize();
    t.is(await (await openLance(table)).query().where(`job = '${jobId}'`).toArray().then((rows) => rows.length), 0, 'the table is there before the job runs');
    const summary = await runner.run();
    t.deepEqual(ids(await readJsonLinesDir(join(dir, `out${n}`))), all.filter((id) => !malformed(id) && !refused(id)));
    t.true(summary.warnings.some((warning) => warning.includes(`written to the dead letters in Lance table ${table} (stage = 'check')`)));
    const rows = await (await openLance(table)).query().where(`job = '${jobId}'`).toArray();
    runs.push(rows);
    t.is(summary.deadLetters?.count, rows.length);
  }
  t.deepEqual(await stagedTables(table), [], 'nothing left staged');
  for (const rows of runs) {
    const unreadable = rows.filter((row) => row.stage === 'source');
    t.deepEqual(unreadable.map((row) => Number(/\d+/.exec(String(row.record))![0])).sort((a, b) => a - b), all.filter(malformed));
    for (const row of unreadable) {
      const id = Number(/\d+/.exec(String(row.record))![0]);
      t.like(row, { file: join(folder, `part-${Math.floor(id / PER_FILE)}.jsonl`), line: (id % PER_FILE) + 1, error: 'InputFormatError', attempts: 1 });
    }
    const rejected = rows.filter((row) => row.stage === 'check');
    t.deepEqual(rejected.map((row) => JSON.parse(String(row.record)).id).sort((a: number, b: number) => a - b), all.filter((id) => refused(id) && !malformed(id)));
    t.is(new Set(rows.map((row) => row.run)).size, 1, 'one run per job');
    t.is(new Set(rows.map((row) => row.id)).size, rows.length);
  }
  t.not(runs[0]![0]!.run, runs[1]![0]!.run);
});

test('a dead letter holds its row as JSON, a 64-bit id as every digit of its number', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'ids.jsonl');
  const idOf = (n: number) => 2n ** 60n + BigInt(n) * 977n;
  await writeFile(input, `${Array.from({ length: 100 }, (_, n) => `{"id": ${idOf(n)}, "n": ${n}}`).join('\n')}\n`);
  const job = new Job({ jobId: 'dead-bigint' });
  job.addStage(new Stage('source', FileSource, { paths: input }, 1));
  job.addStage(new Stage('check', MapOperator, {
    fn: (row) => {
      if (Number(row.n) % 10 === 3) throw new Error(`row ${String(row.n)} is refused`);
      return row;
    },
  }, 1, { onError: 'dead-letter' }), ['source']);
  job.addStage(new Stage('sink', FileSink, { path: join(dir, 'out'), format: 'jsonl' }, 1), ['check']);
  await job.createRunner({ ...isolatedState(), deadLetter: join(dir, 'dead') }).run();
  const letters = await readJsonLinesDir(join(dir, 'dead', 'check'));
  const refusedRows = Array.from({ length: 100 }, (_, n) => n).filter((n) => n % 10 === 3);
  t.deepEqual(letters.map((letter) => Number(/"n":(\d+)/.exec(String(letter.record))![1])).sort((a, b) => a - b), refusedRows);
  for (const letter of letters) {
    const n = Number(/"n":(\d+)/.exec(String(letter.record))![1]);
    t.is(/"id":(\d+)[,}]/.exec(String(letter.record))?.[1], String(idOf(n)), `the record of row ${n}: ${String(letter.record)}`);
  }
});

test('with onError skip the bad records are counted and dropped; with fail (the default) the first fails the job, naming file and line', async (t) => {
  const dir = await tempDir();
  const folder = await input(dir);
  const output = join(dir, 'out');
  const summary = await (await createJob('skip', { input: folder, output, onError: 'skip' })).createRunner(isolatedState()).run();
  t.deepEqual(ids(await readJsonLinesDir(output)), all.filter((id) => !malformed(id) && !refused(id)));
  const byStage = Object.fromEntries(summary.stages.map((stage) => [stage.stage, stage]));
  t.is(byStage.source!.recordsSkipped, all.filter(malformed).length);
  t.is(byStage.source!.rowsIn, all.length, 'a source counts the records it read, bad ones too');
  t.is(byStage.check!.recordsSkipped, all.filter((id) => refused(id) && !malformed(id)).length);
  t.is(summary.deadLetters, undefined);
  t.false(existsSync(join(dir, 'dead-letters')));

  const error = await t.throwsAsync((await createJob('fail', { input: folder, output: join(dir, 'failed'), onError: 'fail' })).createRunner(isolatedState()).run(), { instanceOf: OperatorError });
  t.regex(error!.message, /part-\d\.jsonl \(line \d+\): malformed JSON|row \d+ \(\{"id":\d+42\}\): id \d+ is refused/);
});

/** Fails each split's first run: a service that errs once, then answers. */
const failedOnce = new Set<string>();

test('a split whose operator throws runs again, up to maxRetries times, before the policy applies; the dead letter says how many times it ran', async (t) => {
  const dir = await tempDir();
  const folder = await input(dir);
  const flaky = (name: string, retries: number, times: number) => {
    const job = new Job({ jobId: name });
    job.addStage(new Stage('source', FileSource, { paths: folder, format: 'jsonl', batchRows: 500 }, 1, { onError: 'skip' }));
    job.addStage(new Stage('call', MapOperator, {
      batchFn: (table) => {
        const key = `${name}:${String(table.getChild('id')!.get(0))}`;
        const seen = [...failedOnce].filter((k) => k.startsWith(`${key}#`)).length;
        if (seen < times) {
          failedOnce.add(`${key}#${seen}`);
          throw new Error('service unavailable');
        }
        return table;
      },
    }, 1, { maxRetries: retries, onError: 'dead-letter' }), ['source']);
    job.addStage(new Stage('sink', FileSink, { path: join(dir, name), format: 'jsonl' }, 1), ['call']);
    return job;
  };
  const good = all.filter((id) => !malformed(id));

  await flaky('recovers', 2, 2).createRunner({ ...isolatedState(), logLevel: 'error' }).run();
  t.deepEqual(ids(await readJsonLinesDir(join(dir, 'recovers'))), good, 'two failures, two retries: every split gets through');

  const dead = join(dir, 'dead');
  const summary = await flaky('gives-up', 1, 2).createRunner({ ...isolatedState(), deadLetter: dead, logLevel: 'error' }).run();
  t.false(existsSync(join(dir, 'gives-up')) && (await readJsonLinesDir(join(dir, 'gives-up'))).length > 0, 'no split got through');
  const letters = await readJsonLinesDir(join(dir, 'dead', 'call'));
  t.deepEqual(letters.map((letter) => JSON.parse(String(letter.record)).id).sort((a, b) => a - b), good, 'each input row of a split that failed is a dead letter');
  t.true(letters.every((letter) => letter.attempts === 2 && letter.error === 'Error' && letter.message === 'service unavailable'));
  t.is(summary.deadLetters!.count, good.length);
});

test('solstice-node run --dead-letter prints where the dead letters are and exits 0; --fail-on-dead-letters exits 3', async (t) => {
  const dir = await tempDir();
  const folder = await input(dir);
  const args = ['run', '--workflow', WORKFLOW, '--input', folder, '--progress-interval', '0'];
  const ok = await runCli([...args, '--job-id', 'cli-dead', '--output', join(dir, 'out'), '--dead-letter', join(dir, 'dead')], { cwd: dir });
  t.is(ok.code, 0, ok.stderr);
  const count = all.filter((id) => malformed(id) || refused(id)).length;
  t.regex(ok.stderr, new RegExp(`^${count} dead letter\\(s\\) in ${join(dir, 'dead')}$`, 'm'));
  t.regex(ok.stdout, /^warning: \d+ bad record\(s\) of stage 'source' written to the dead letters in /m);
  const strict = await runCli([...args, '--job-id', 'cli-strict', '--output', join(dir, 'strict'), '--fail-on-dead-letters'], { cwd: dir });
  t.is(strict.code, 3, strict.stderr);
  t.true(existsSync(join(dir, 'dead-letters', 'cli-strict', 'source')), 'the default location: dead-letters/<job id> under the working directory');
});

const HANG_WORKFLOW = fileURLToPath(new URL('./fixtures/hang_workflow.js', import.meta.url));

test('a split that awaits past splitTimeoutSecs fails with SplitTimeoutError and goes to the dead letters; the job completes', async (t) => {
  const dir = await tempDir();
  await writeIdFiles(dir, 2, 500);
  const { createJob: hangJob } = await import('./fixtures/hang_workflow.js');
  const job = hangJob('await-hang', { input: join(dir, 'in'), output: join(dir, 'out'), mode: 'await', splitTimeoutSecs: 0.5, onError: 'dead-letter' });
  const summary = await job.createRunner({ ...isolatedState(), deadLetter: join(dir, 'dead'), logLevel: 'error' }).run();
  // The first split (ids 0 up to where its byte range ends) holds id 13: every later one gets through.
  const out = ids(await readJsonLinesDir(join(dir, 'out')));
  const cut = out[0]!;
  t.true(cut > 13 && cut <= 200, `the first split ends at ${cut}`);
  t.deepEqual(out, range(cut, 1000));
  const letters = await readJsonLinesDir(join(dir, 'dead', 'hang'));
  t.deepEqual(letters.map((letter) => JSON.parse(String(letter.record)).id).sort((a, b) => a - b), range(0, cut));
  t.true(letters.every((letter) => letter.error === 'SplitTimeoutError' && /for more than its splitTimeoutSecs \(0\.5 s\)/.test(String(letter.message))));
  t.is(summary.deadLetters!.count, cut);
});

test('a forked worker in an endless loop past splitTimeoutSecs is killed and replaced, and its split is skipped, not run again', async (t) => {
  const dir = await tempDir();
  await writeIdFiles(dir, 2, 500);
  const result = await runCli([
    'run', '--workflow', HANG_WORKFLOW, '--job-id', 'loop-hang', '--input', join(dir, 'in'), '--output', join(dir, 'out'),
    '--mode', 'loop', '--split-timeout-secs', '1', '--on-error', 'skip', '--workers', 'forked', '--progress-interval', '0', '--log-level', 'warn',
  ], { cwd: dir });
  t.is(result.code, 0, result.stderr);
  t.regex(result.stderr, /it ran on its split past the splitTimeoutSecs \(1 s\) and did not stop/);
  const out = ids(await readJsonLinesDir(join(dir, 'out')));
  const cut = out[0]!;
  t.true(cut > 13 && cut <= 200, `the first split ends at ${cut}`);
  t.deepEqual(out, range(cut, 1000));
  t.regex(result.stdout, new RegExp(`^warning: ${cut} bad record\\(s\\) skipped at stage 'hang'$`, 'm'));
});

test('a dead letter location is a path or a uri, and only a Lance table may be on an object store', async (t) => {
  const { ArgumentError, JobDefinitionError } = await import('../lib/index.js');
  t.throws(() => new Job({ jobId: 'both', deadLetter: { path: 'dead', uri: 'dead.lance' } }), {
    instanceOf: JobDefinitionError, message: /deadLetter must be an object with a path or a uri, one of them/,
  });
  const dir = await tempDir();
  const job = await createJob('remote-files', { input: await input(dir), output: join(dir, 'out') });
  await t.throwsAsync(job.createRunner({ ...isolatedState(), deadLetter: 's3://bucket/dead' }).run(), {
    instanceOf: ArgumentError, message: "Dead letters at 's3://bucket/dead' must go to a Lance table (a URI ending in .lance): files of format jsonl go to a local folder",
  });
});
