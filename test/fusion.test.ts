/**
 * Operator fusion: consecutive one-to-one stages run as one chain inside each
 * worker. What a user relies on: which stages fuse (the plan `--explain`
 * prints), that each fused stage keeps its own figures, that end-of-input
 * output and keyed shuffles still work, and that turning fusion off changes
 * nothing but the plan.
 */
import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AggregateOperator, FilterOperator, Job, JobDefinitionError, KeyByOperator, MapOperator, Operator, OperatorError,
  SourceOperator, Split, SplitPayload, Stage, type KeyedOutput, type Row,
} from '../lib/index.js';
import { runCli } from './support/cli.js';
import { isolatedState, readJsonLinesDir, tempDir } from './support/files.js';
import { CollectSink, collected } from './support/collect-sink.js';


/** Rows { n, group } for n in [0, rows), `perSplit` to a split. */
class CountingSource extends SourceOperator<{ rows: number; perSplit: number }> {
  planSplits() {
    const ranges = [];
    for (let start = 0; start < this.config.rows; start += this.config.perSplit) ranges.push({ start });
    return ranges;
  }

  processSplit(split: Split) {
    const start = split.range!.start as number;
    const rows = [];
    for (let n = start; n < Math.min(this.config.rows, start + this.config.perSplit); n++) rows.push({ n, group: `g${n % 7}` });
    return SplitPayload.fromRows(rows, split.splitId);
  }
}

/** Keyed output declared only by the instance's `keyField`, not by the class: the plan cannot see it. */
class UndeclaredKeyBy extends Operator<Record<string, never>> implements KeyedOutput {
  readonly keyField = '_key';

  processSplit(split: Split, payload?: SplitPayload) {
    return SplitPayload.fromRows(payload!.toRows().map((row) => ({ ...row, _key: String(row.group) })), split.splitId);
  }
}

/** source(2) -> double(2) -> odd(2) -> sink(2): one chain; `chain: false` on the job or a stage splits it. */
function pipeline(name: string, rows: number, options: { job?: boolean; filter?: boolean } = {}): Job {
  const job = new Job({ jobId: name, ...(options.job === undefined ? {} : { chain: options.job }) });
  job.addStage(new Stage('source', CountingSource, { rows, perSplit: 100 }, 2));
  job.addStage(new Stage('double', MapOperator, { fn: (row: Row) => ({ ...row, twice: (row.n as number) * 2 }) }, 2), ['source']);
  job.addStage(new Stage('odd', FilterOperator, { fn: (row: Row) => (row.n as number) % 2 === 1 }, 2, options.filter === undefined ? {} : { chain: options.filter }), ['double']);
  job.addStage(new Stage('sink', CollectSink, { name }, 2), ['odd']);
  return job;
}

test('consecutive one-to-one stages fuse into one chain; each fused stage still reports its own splits and rows', async (t) => {
  const rows = 1000;
  const runner = pipeline('fused', rows).createRunner(isolatedState());
  t.is(runner.explain(), 'source+double+odd+sink: fused, parallelism 2, workers in-process');
  const summary = await runner.run();
  const byStage = new Map(summary.stages.map((stage) => [stage.stage, stage]));
  const chain = ['source', 'double', 'odd', 'sink'];
  for (const stage of chain) t.deepEqual(byStage.get(stage)!.chain, chain, `${stage} reports its chain`);
  // The generator's formula: n in [0, 1000), 100 rows per split, the odd half kept.
  t.like(byStage.get('source'), { splitsPlanned: 10, splitsIn: 10, rowsIn: rows, rowsOut: rows });
  t.like(byStage.get('double'), { splitsIn: 10, rowsIn: rows, rowsOut: rows, splitsOut: 10 });
  t.like(byStage.get('odd'), { splitsIn: 10, rowsIn: rows, rowsOut: rows / 2, splitsOut: 10 });
  t.like(byStage.get('sink'), { splitsIn: 10, rowsIn: rows / 2, rowsOut: 0 });
  const written = collected.get('fused')!.map((row) => row.n as number).sort((a, b) => a - b);
  t.deepEqual(written, Array.from({ length: rows / 2 }, (_, i) => 2 * i + 1));
  t.true(collected.get('fused')!.every((row) => row.twice === (row.n as number) * 2));
});

test('chain: false on the job, or on a stage, keeps stages apart and changes nothing but the plan', async (t) => {
  const rows = 600;
  const unfused = pipeline('unfused', rows, { job: false }).createRunner(isolatedState());
  t.is(unfused.explain(), [
    'source: parallelism 2, workers in-process', '  -> double (not fused: the job sets chain: false)',
    'double: parallelism 2, workers in-process', '  -> odd (not fused: the job sets chain: false)',
    'odd: parallelism 2, workers in-process', '  -> sink (not fused: the job sets chain: false)',
    'sink: parallelism 2, workers in-process',
  ].join('\n'));
  const apart = pipeline('apart', rows, { filter: false }).createRunner(isolatedState());
  t.is(apart.explain(), [
    'source+double: fused, parallelism 2, workers in-process', '  -> odd (not fused: a stage sets chain: false)',
    'odd: parallelism 2, workers in-process', '  -> sink (not fused: a stage sets chain: false)',
    'sink: parallelism 2, workers in-process',
  ].join('\n'));
  const [unfusedSummary, apartSummary] = [await unfused.run(), await apart.run()];
  t.true(unfusedSummary.stages.every((stage) => stage.chain === undefined));
  t.deepEqual(apartSummary.stages.find((stage) => stage.stage === 'double')!.chain, ['source', 'double']);
  const odd = Array.from({ length: rows / 2 }, (_, i) => 2 * i + 1);
  for (const name of ['unfused', 'apart']) t.deepEqual(collected.get(name)!.map((row) => row.n as number).sort((a, b) => a - b), odd, name);
  for (const summary of [unfusedSummary, apartSummary]) {
    t.like(summary.stages.find((stage) => stage.stage === 'odd'), { rowsIn: rows, rowsOut: rows / 2 });
  }
});

test('a keyed shuffle, fan-out and different parallelism end chains; an aggregation emits its groups through the rest of its chain', async (t) => {
  const rows = 2100;
  const job = new Job({ jobId: 'groups' });
  job.addStage(new Stage('source', CountingSource, { rows, perSplit: 300 }, 1));
  job.addStage(new Stage('key', KeyByOperator, { fn: (row: Row) => String(row.group) }, 1), ['source']);
  job.addStage(new Stage('count', AggregateOperator, { aggregations: { n: { op: 'count' }, sum: { op: 'sum', field: 'n' } } }, 2), ['key']);
  job.addStage(new Stage('label', MapOperator, { fn: (row: Row) => ({ ...row, label: `${String(row._key)}:${String(row.n)}` }) }, 2), ['count']);
  job.addStage(new Stage('groups', CollectSink, { name: 'groups' }, 2), ['label']);
  job.addStage(new Stage('all', CollectSink, { name: 'all' }, 1), ['source']);
  const runner = job.createRunner(isolatedState());
  t.is(runner.explain(), [
    'source: parallelism 1, workers in-process', '  -> key (not fused: fan-out or fan-in)', '  -> all (not fused: fan-out or fan-in)',
    'key: parallelism 1, workers in-process', '  -> count (not fused: keyed shuffle)',
    'count+label+groups: fused, parallelism 2, workers in-process',
    'all: parallelism 1, workers in-process',
  ].join('\n'));
  const summary = await runner.run();
  // Independent of the code under test: n in [0, 2100) grouped by n mod 7.
  const expected = Array.from({ length: 7 }, (_, g) => {
    const members = Array.from({ length: rows }, (_, n) => n).filter((n) => n % 7 === g);
    return { _key: `g${g}`, n: members.length, sum: members.reduce((a, b) => a + b, 0), label: `g${g}:${members.length}` };
  });
  const groups = collected.get('groups')!.sort((a, b) => String(a._key).localeCompare(String(b._key)));
  t.deepEqual(groups, expected);
  t.is(collected.get('all')!.length, rows);
  const byStage = new Map(summary.stages.map((stage) => [stage.stage, stage]));
  t.like(byStage.get('count'), { rowsIn: rows, rowsOut: 7 });
  t.like(byStage.get('label'), { rowsIn: 7, rowsOut: 7 });
  t.like(byStage.get('groups'), { rowsIn: 7 });
});

test('an operator with keyed output that its class does not declare fails at start, saying how to declare it', async (t) => {
  const job = new Job({ jobId: 'undeclared' });
  job.addStage(new Stage('source', CountingSource, { rows: 10, perSplit: 10 }, 1));
  job.addStage(new Stage('key', UndeclaredKeyBy, {}, 1), ['source']);
  job.addStage(new Stage('sink', CollectSink, { name: 'undeclared' }, 1), ['key']);
  const error = await t.throwsAsync(job.createRunner(isolatedState()).run(), { instanceOf: JobDefinitionError });
  t.regex(error!.message, /Stage 'key' has keyed output, but its operator class does not say so: add `static readonly keyedOutput = true`/);
  t.false(error instanceof OperatorError);
});

test('solstice-node run --explain prints the plan without running; a run prints it above its summary', async (t) => {
  const dir = await tempDir('solstice-explain-');
  const output = join(dir, 'out');
  const explained = await runCli(['run', '--workflow', 'simple_etl', '--job-id', 'explained', '--rows', '2000', '--output', output, '--explain'], { cwd: dir });
  t.is(explained.code, 0, explained.stderr);
  // simple_etl gives every stage its parallelism (4 by default): one chain.
  t.is(explained.stdout, 'source+transform+filter+sink: fused, parallelism 4, workers in-process\n');
  t.deepEqual(await readJsonLinesDir(output).catch(() => []), [], 'nothing ran');
  // The copy workflow's check stage has 2 workers, its source and sink 1.
  const copy = fileURLToPath(new URL('./fixtures/copy_workflow.js', import.meta.url));
  const apart = await runCli(['run', '--workflow', copy, '--job-id', 'apart', '--input', 'in.jsonl', '--output', output, '--workers', 'forked', '--explain'], { cwd: dir });
  t.is(apart.code, 0, apart.stderr);
  t.is(apart.stdout, [
    'source: parallelism 1, workers forked', '  -> check (not fused: parallelism)',
    'check: parallelism 2, workers forked', '  -> sink (not fused: parallelism)',
    'sink: parallelism 1, workers forked', '',
  ].join('\n'));
  const ran = await runCli(['run', '--workflow', 'simple_etl', '--job-id', 'ran', '--rows', '2000', '--output', output, '--format', 'jsonl', '--progress-interval', '0'], { cwd: dir });
  t.is(ran.code, 0, ran.stderr);
  t.regex(ran.stdout, /^plan: source\+transform\+filter\+sink$/m);
});

test('a workflow run through the CLI with forked workers writes the same rows fused and unfused', async (t) => {
  const dir = await tempDir('solstice-fused-forked-');
  const workflow = fileURLToPath(new URL('./fixtures/copy_workflow.js', import.meta.url));
  const input = join(dir, 'in.jsonl');
  await writeFile(input, Array.from({ length: 3000 }, (_, i) => JSON.stringify({ id: i, text: `row ${i} é` })).join('\n') + '\n');
  for (const chain of ['true', 'false']) {
    const output = join(dir, `out-${chain}`);
    const result = await runCli(['run', '--workflow', workflow, '--job-id', `copy-${chain}`, '--input', input, '--output', output, '--split-bytes', '8192',
      '--check-parallelism', '1', '--workers', 'forked', '--chain', chain, '--progress-interval', '0'], { cwd: dir });
    t.is(result.code, 0, result.stderr);
    t.regex(result.stdout, chain === 'true' ? /^plan: source\+check\+sink$/m : /^plan: source -> check -> sink$/m);
    const rows = (await readJsonLinesDir(output)).map((row) => row.id as number).sort((a, b) => a - b);
    t.deepEqual(rows, Array.from({ length: 3000 }, (_, i) => i), `every row once (chain ${chain})`);
  }
});
